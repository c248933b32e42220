using Akka.Configuration;
using ActorWs.Protocol;

namespace ActorWs.Demo;

public enum Verb { Scenario, Serve, Connect, Help, Web, Cert }

/// <summary>The command line. Errors are one readable line (<see cref="UsageException"/>), never a stack trace.</summary>
public sealed record DemoOptions
{
    public static readonly string[] Scenarios = ["reference", "abnormal", "abnormal-kill", "violation", "extras"];

    public Verb Verb { get; init; } = Verb.Scenario;
    public string Scenario { get; init; } = "reference";
    /// <summary>null: both, the client as a child process; otherwise only this side.</summary>
    public string? Role { get; init; }
    public string? Host { get; init; }
    public int? Port { get; init; }
    public Uri? Url { get; init; }
    public string? ConfigFile { get; init; }
    /// <summary>No lifecycle log: what a benchmark or a production server wants.</summary>
    public bool Quiet { get; init; }
    /// <summary>serve: the subprotocols it speaks; connect: those it offers. Most preferred first.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];
    /// <summary>connect: extra header fields of the upgrade request, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    /// <summary>serve over TLS (wss://): a PEM certificate and its key, or a PKCS #12 file and its password.</summary>
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }
    public string? TlsPfx { get; init; }
    public string? TlsPassword { get; init; }
    /// <summary>connect wss://: a PEM file of CA certificates to trust instead of the system's.</summary>
    public string? CaFile { get; init; }
    /// <summary>connect wss://: accept any certificate (for trying things out only).</summary>
    public bool Insecure { get; init; }
    /// <summary>cert: where the PEM files go.</summary>
    public string? OutDir { get; init; }
    /// <summary>serve/connect: permessage-deflate neither accepted nor offered (actorws.compression.enabled = off).</summary>
    public bool NoCompression { get; init; }

    public const string Usage = """
        ActorWs demo: the life of a WebSocket connection (RFC 6455), one actor tree per connection.

        usage:
          ActorWs.Demo [--scenario NAME] [--role server|client] [--port N] [--host H]
          ActorWs.Demo serve [--port N] [--host H] [--quiet] [--subprotocol NAME]... [--no-compression]
                                                        echo server (text as text, binary as binary,
                                                        lent messages sent back without a copy);
                                                        --port 0: any free port, announced in the line
                                                        LISTENING <port> ...;
                                                        --quiet: no lifecycle log (for benchmarks);
                                                        --subprotocol: one it speaks (repeatable, first
                                                        preferred); it picks the client's most preferred;
                                                        --no-compression: decline permessage-deflate
                                                        (RFC 7692), which it accepts by default
                                                        GET or HEAD /healthz: 200 ok; GET /stats: the
                                                        bytes the process has allocated (for bench/run.sh);
                                                        any other request that is no WebSocket
                                                        upgrade: 426 Upgrade Required
          ActorWs.Demo web [--port N] [--host H] [--quiet] [--config FILE]
                                                        the lessons in a browser: serves a page at
                                                        http://HOST:PORT/ (no CDN, works offline) that
                                                        shows the actor tree, states, frames and
                                                        supervision live, fed by the same lifecycle
                                                        events as the console; LISTENING <port> ...
          ActorWs.Demo connect ws://HOST:PORT/PATH [--header 'NAME: VALUE']... [--subprotocol NAME]... [--no-compression]
                                                        interactive client: each line is sent as text,
                                                        what arrives is printed, end of input closes (1000);
                                                        prints the subprotocol agreed on when opened, and
                                                        'refused: STATUS REASON: BODY' when the server
                                                        refuses the upgrade (exit code 1);
                                                        --header: an extra request header (repeatable);
                                                        --subprotocol: one to offer (repeatable, first preferred);
                                                        --no-compression: offer no permessage-deflate
          ActorWs.Demo serve --tls-cert FILE --tls-key FILE
          ActorWs.Demo serve --tls-pfx FILE [--tls-password P]
                                                        the echo server over TLS (wss://): a PEM certificate
                                                        (with its chain) and key, or a PKCS #12 file
          ActorWs.Demo connect wss://HOST:PORT/PATH [--ca FILE] [--insecure]
                                                        over TLS: the system's trust store, or the CA
                                                        certificates of a PEM file; --insecure accepts
                                                        any certificate (trying things out only)
          ActorWs.Demo cert --out DIR                   writes a self-signed certificate for localhost,
                                                        127.0.0.1 and ::1 as DIR/cert.pem, DIR/key.pem
        scenarios:
          reference      (default) handshake, full-duplex messages, pings, clean close with 1000
          abnormal       the server drops TCP mid-conversation: 1006 on both sides, supervision,
                         the client's backoff supervisor reconnects, then a clean close
          abnormal-kill  the client process is killed: the server notices 1006; a new client finishes
          violation      a client sends an unmasked frame (1002), then invalid UTF-8 (1007)
          extras         a message in fragments (CONTINUATION), a binary message, a refused handshake (403)
        options:
          --role server|client   run one side only (two terminals); default: both, as two processes
          --port N               port (default 8765, from config/demo.hocon)
          --host H               host (default 127.0.0.1)
          --config FILE          extra HOCON, overriding config/demo.hocon
          -h, --help             this text
        """;

    public static DemoOptions Parse(string[] args)
    {
        var options = new DemoOptions();
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            options = args[0] switch
            {
                "serve" => options with { Verb = Verb.Serve },
                "web" => options with { Verb = Verb.Web },
                "connect" => options with { Verb = Verb.Connect, Url = ParseUrl(args.Length > 1 ? args[1] : throw new UsageException("connect needs a ws:// URL")) },
                "cert" => options with { Verb = Verb.Cert },
                _ => throw new UsageException($"unknown verb '{args[0]}' (expected serve, connect, web or cert)"),
            };
            i = options.Verb == Verb.Connect ? 2 : 1;
        }
        for (; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "-h" or "--help" => options with { Verb = Verb.Help },
                "--scenario" => options with { Scenario = OneOf(Value(), Scenarios, "scenario") },
                "--role" => options with { Role = OneOf(Value(), ["server", "client"], "role") },
                // 0 (any free port, printed on the LISTENING line) only for serve: a scenario's client
                // is started with the server's --port.
                "--port" => options with { Port = int.TryParse(Value(), out var p) && p is >= 0 and <= 65535 && (p > 0 || options.Verb is Verb.Serve or Verb.Web) ? p
                    : throw new UsageException($"--port takes a number from 1 to 65535 (0 too, with serve), not '{args[i]}'") },
                "--host" => options with { Host = Value() },
                "--quiet" => options with { Quiet = true },
                "--subprotocol" => options.Verb is Verb.Serve or Verb.Connect
                    ? options with { Subprotocols = [.. options.Subprotocols, Subprotocol(Value(), options.Subprotocols)] }
                    : throw new UsageException("--subprotocol goes with serve or connect"),
                "--header" => options.Verb == Verb.Connect
                    ? options with { Headers = [.. options.Headers, Header(Value())] }
                    : throw new UsageException("--header goes with connect"),
                "--no-compression" => options.Verb is Verb.Serve or Verb.Connect
                    ? options with { NoCompression = true }
                    : throw new UsageException("--no-compression goes with serve or connect"),
                "--config" => options with { ConfigFile = File.Exists(Value()) ? args[i] : throw new UsageException($"config file '{args[i]}' not found") },
                "--tls-cert" => options with { TlsCert = ExistingFile(Value(), "--tls-cert") },
                "--tls-key" => options with { TlsKey = ExistingFile(Value(), "--tls-key") },
                "--tls-pfx" => options with { TlsPfx = ExistingFile(Value(), "--tls-pfx") },
                "--tls-password" => options with { TlsPassword = Value() },
                "--ca" => options with { CaFile = ExistingFile(Value(), "--ca") },
                "--insecure" => options with { Insecure = true },
                "--out" => options with { OutDir = Value() },
                _ => throw new UsageException($"unknown option '{args[i]}'"),
            };
        }
        return CheckTls(options);
    }

    private static string ExistingFile(string path, string option) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new UsageException($"{option}: file '{path}' not found");

    private static DemoOptions CheckTls(DemoOptions o)
    {
        if (o.TlsCert is not null && o.TlsPfx is not null)
            throw new UsageException("--tls-cert and --tls-pfx: give one of them");
        if (o.TlsKey is not null && o.TlsCert is null)
            throw new UsageException("--tls-key needs --tls-cert");
        if (o.TlsPassword is not null && o.TlsPfx is null)
            throw new UsageException("--tls-password needs --tls-pfx");
        if ((o.TlsCert ?? o.TlsPfx) is not null && o.Verb != Verb.Serve)
            throw new UsageException("--tls-cert and --tls-pfx go with serve");
        if ((o.CaFile is not null || o.Insecure) && o.Url?.Scheme != "wss")
            throw new UsageException("--ca and --insecure go with connect wss://");
        if (o.CaFile is not null && o.Insecure)
            throw new UsageException("--ca and --insecure: give one of them");
        if (o.Verb == Verb.Cert && o.OutDir is null)
            throw new UsageException("cert needs --out DIR");
        return o;
    }

    private static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss" ? uri : throw new UsageException($"'{url}' is not a ws:// or wss:// URL");

    /// <summary>connect wss://: the --ca file, or --insecure's accept-anything, else the system's store.</summary>
    public TlsClientOptions ClientTls() => Insecure
        ? new TlsClientOptions { CertificateValidation = (_, _, _) => true }
        : new TlsClientOptions { CaFile = CaFile };

    private static string Quoted(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string Subprotocol(string name, IReadOnlyList<string> earlier) =>
        !HttpSyntax.IsToken(name) ? throw new UsageException($"--subprotocol '{name}' is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)")
        : earlier.Contains(name) ? throw new UsageException($"--subprotocol '{name}' given twice")
        : name;

    /// <summary>'NAME: VALUE', as curl takes it. Only the form is checked here; what the handshake may
    /// not send (its own fields, control characters) is refused by <see cref="WebSocketClient.Connect"/>.</summary>
    private static KeyValuePair<string, string> Header(string header)
    {
        int colon = header.IndexOf(':');
        var name = colon < 0 ? "" : header[..colon];
        if (!HttpSyntax.IsToken(name))
            throw new UsageException($"--header '{Printable(header)}' is not 'NAME: VALUE' with NAME an HTTP token");
        var value = header[(colon + 1)..].Trim(' ', '\t');
        if (!HttpSyntax.IsFieldValue(value))
            throw new UsageException($"--header '{Printable(header)}' has a value with a control or non-ASCII character");
        return new(name, value);
    }

    // A usage error stays one line, whatever the argument held.
    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private static string OneOf(string value, string[] allowed, string what) =>
        allowed.Contains(value) ? value : throw new UsageException($"unknown {what} '{value}' (one of: {string.Join(", ", allowed)})");

    /// <summary>demo.hocon beside the program, then --config, then the command line's host and port.</summary>
    public Config LoadConfig()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "demo.hocon");
        var config = File.Exists(path) ? ConfigurationFactory.ParseString(File.ReadAllText(path)) : Config.Empty;
        if (ConfigFile is not null)
            config = ParseConfigFile(ConfigFile).WithFallback(config);
        // The lifecycle log is what the demo is for; --quiet turns it off (benchmarks).
        var overrides = $"actorws.trace-lifecycle = {(Quiet ? "off" : "on")}\n";
        if (NoCompression)
            overrides += "actorws.compression.enabled = off\n";
        if (Host is not null)
            overrides += $"demo.host = \"{Host}\"\nactorws.host = \"{Host}\"\n";
        if (Port is not null)
            overrides += $"demo.port = {Port}\nactorws.port = {Port}\n";
        if (TlsCert is not null)
            overrides += $"actorws.tls.enabled = on\nactorws.tls.cert-file = {Quoted(TlsCert)}\nactorws.tls.key-file = {Quoted(TlsKey ?? "")}\n";
        if (TlsPfx is not null)
            overrides += $"actorws.tls.enabled = on\nactorws.tls.pfx-file = {Quoted(TlsPfx)}\nactorws.tls.pfx-password = {Quoted(TlsPassword ?? "")}\n";
        return ConfigurationFactory.ParseString(overrides).WithFallback(config);
    }


    /// <summary>A --config file, or a one-line error naming the line: Akka's HOCON parser accepts
    /// some text that is no HOCON at all (<c>}}} = = ;;</c>, an unclosed brace) and yields the defaults.</summary>
    public static Config ParseConfigFile(string file)
    {
        var text = File.ReadAllText(file);
        if (HoconCheck.FirstError(text) is { } error)
            throw new UsageException($"config file '{file}' line {error.Line}: {error.Message}");
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is not UsageException)
        {
            throw new UsageException($"config file '{file}': {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}

/// <summary>
/// The structure of a HOCON text, checked before Akka parses it: braces and brackets that match,
/// strings that end, and a key before each <c>=</c> or <c>:</c>. Not a parser: what passes here is
/// still parsed, and refused, by Akka's.
/// </summary>
public static class HoconCheck
{
    public sealed record Error(int Line, string Message);

    public static Error? FirstError(string text)
    {
        var open = new Stack<(char Bracket, int Line)>();
        int line = 1;
        char previous = '\n'; // the last significant character: '\n' at a line's start
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
                if (previous is not ('=' or ':'))
                    previous = '\n';
                continue;
            }
            if (char.IsWhiteSpace(c))
                continue;
            if (c == '#' || c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i + 1 < text.Length && text[i + 1] != '\n')
                    i++;
                continue;
            }
            if (c == '"')
            {
                int start = line;
                bool triple = string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0;
                int end = triple ? text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal) : ClosingQuote(text, i + 1);
                if (end < 0)
                    return new(start, "a string that never ends (a missing '\"')");
                line += text.AsSpan(i, end - i).Count('\n');
                i = end + (triple ? 2 : 0);
                previous = '"';
                continue;
            }
            switch (c)
            {
                case '{' or '[':
                    open.Push((c, line));
                    break;
                case '}' or ']':
                    char expected = c == '}' ? '{' : '[';
                    if (open.Count == 0)
                        return new(line, $"'{c}' closes nothing");
                    var (bracket, at) = open.Pop();
                    if (bracket != expected)
                        return new(line, $"'{c}' does not close the '{bracket}' of line {at}");
                    break;
                case '=' or ':' when previous is '\n' or '{' or '[' or ',' or '=' or ':':
                    return new(line, $"'{c}' with no key before it");
            }
            previous = c;
        }
        return open.Count > 0 ? new(open.Peek().Line, $"'{open.Peek().Bracket}' is never closed") : null;
    }

    private static int ClosingQuote(string text, int from)
    {
        for (int i = from; i < text.Length && text[i] != '\n'; i++)
        {
            if (text[i] == '\\')
                i++;
            else if (text[i] == '"')
                return i;
        }
        return -1;
    }
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>The <c>demo { }</c> section.</summary>
public sealed record DemoSettings(string Host, int Port, TimeSpan ClientInterval, TimeSpan ServerInterval,
    int ClientMessages, TimeSpan CloseDelay, string CloseReason, int AbortAfter)
{
    public static DemoSettings From(Config config)
    {
        var c = config.GetConfig("demo") ?? throw new UsageException("no demo { } section in the configuration");
        T Get<T>(string key, Func<string, T> read)
        {
            try
            {
                return c.HasPath(key) ? read(key) : throw new UsageException($"demo.{key} is missing");
            }
            catch (Exception e) when (e is not UsageException)
            {
                throw new UsageException($"demo.{key} is invalid: {e.Message}");
            }
        }
        return new DemoSettings(
            Get("host", k => c.GetString(k)),
            Get("port", k => c.GetInt(k)),
            Get("client-interval", k => c.GetTimeSpan(k)),
            Get("server-interval", k => c.GetTimeSpan(k)),
            Get("client-messages", k => c.GetInt(k)),
            Get("close-delay", k => c.GetTimeSpan(k)),
            Get("close-reason", k => c.GetString(k)),
            Get("abort-after", k => c.GetInt(k)));
    }

    public Uri Url => new($"ws://{Host}:{Port}/");
}
