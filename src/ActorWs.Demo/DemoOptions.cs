using Akka.Configuration;

namespace ActorWs.Demo;

public enum Verb { Scenario, Serve, Connect, Help, Cert }

/// <summary>The command line. Errors are one readable line (<see cref="UsageException"/>), never a stack trace.</summary>
public sealed record DemoOptions
{
    public static readonly string[] Scenarios = ["reference", "abnormal", "abnormal-kill", "violation"];

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

    public const string Usage = """
        ActorWs demo: the life of a WebSocket connection (RFC 6455), one actor tree per connection.

        usage:
          ActorWs.Demo [--scenario NAME] [--role server|client] [--port N] [--host H]
          ActorWs.Demo serve [--port N] [--host H] [--quiet]
                                                        echo server (text as text, binary as binary);
                                                        --port 0: any free port, announced in the line
                                                        LISTENING <port> ...;
                                                        --quiet: no lifecycle log (for benchmarks)
          ActorWs.Demo connect ws://HOST:PORT/PATH       interactive client: each line is sent as text,
                                                        what arrives is printed, end of input closes (1000)
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
                "connect" => options with { Verb = Verb.Connect, Url = ParseUrl(args.Length > 1 ? args[1] : throw new UsageException("connect needs a ws:// URL")) },
                "cert" => options with { Verb = Verb.Cert },
                _ => throw new UsageException($"unknown verb '{args[0]}' (expected serve, connect or cert)"),
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
                "--port" => options with { Port = int.TryParse(Value(), out var p) && p is >= 0 and <= 65535 && (p > 0 || options.Verb == Verb.Serve) ? p
                    : throw new UsageException($"--port takes a number from 1 to 65535 (0 too, with serve), not '{args[i]}'") },
                "--host" => options with { Host = Value() },
                "--quiet" => options with { Quiet = true },
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

    private static string OneOf(string value, string[] allowed, string what) =>
        allowed.Contains(value) ? value : throw new UsageException($"unknown {what} '{value}' (one of: {string.Join(", ", allowed)})");

    /// <summary>demo.hocon beside the program, then --config, then the command line's host and port.</summary>
    public Config LoadConfig()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "demo.hocon");
        var config = File.Exists(path) ? ConfigurationFactory.ParseString(File.ReadAllText(path)) : Config.Empty;
        if (ConfigFile is not null)
            config = ConfigurationFactory.ParseString(File.ReadAllText(ConfigFile)).WithFallback(config);
        // The lifecycle log is what the demo is for; --quiet turns it off (benchmarks).
        var overrides = $"actorws.trace-lifecycle = {(Quiet ? "off" : "on")}\n";
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
