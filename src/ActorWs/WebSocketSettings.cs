using Akka.Configuration;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// The <c>actorws { }</c> section, read once and checked at start. Every key is documented with its
/// default in config/actorws.hocon, which is embedded here and is the fallback of the user's config.
/// </summary>
public sealed record WebSocketSettings
{
    /// <summary>actorws.host: the address a server binds.</summary>
    public required string Host { get; init; }
    /// <summary>actorws.port: the port a server binds; 0 picks a free one.</summary>
    public required int Port { get; init; }
    /// <summary>The resource name that upgrades; null for any path.</summary>
    public string? Path { get; init; }
    /// <summary>actorws.allowed-origins (RFC 6455 §10.2); null accepts any origin, or none.</summary>
    public IReadOnlySet<string>? AllowedOrigins { get; init; }
    /// <summary>actorws.subprotocols: a server's to choose from, a client's to offer (RFC 6455 §1.9); empty for none.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];
    /// <summary>Null: derived from the descriptor limit when the server starts (auto).</summary>
    public int? MaxConnections { get; init; }
    /// <summary>The Retry-After of the 503 that refuses a connection past <see cref="MaxConnections"/>.</summary>
    public required TimeSpan RetryAfter { get; init; }

    /// <summary>actorws.memory.reclaim-after: the quiet time after the last large message before its memory is given back; zero for never.</summary>
    public required TimeSpan ReclaimAfter { get; init; }

    /// <summary>actorws.tcp.max-read-size: most bytes taken from the socket in one read.</summary>
    public required int MaxReadSize { get; init; }
    /// <summary>Zero leaves the kernel's receive buffer to the OS.</summary>
    public required int ReceiveBufferSize { get; init; }
    /// <summary>actorws.tcp.accept-backlog: connections the kernel queues before they are accepted.</summary>
    public required int AcceptBacklog { get; init; }
    /// <summary>actorws.tcp.drain-timeout: how long our closed socket reads and drops what the peer still sends.</summary>
    public required TimeSpan DrainTimeout { get; init; }

    /// <summary>actorws.tls: a server's certificate and TLS versions (wss://); null when actorws.tls.enabled is off.</summary>
    public TlsServerSettings? Tls { get; init; }

    /// <summary>actorws.handshake.timeout: from accept (or connect) to a completed opening handshake (the TLS handshake included).</summary>
    public required TimeSpan HandshakeTimeout { get; init; }
    /// <summary>actorws.handshake.max-head-size: the largest HTTP head accepted.</summary>
    public required int MaxHandshakeHeadSize { get; init; }

    /// <summary>actorws.limits.max-frame-size: the largest frame payload (RFC 6455 §10.4), checked from the header.</summary>
    public required long MaxFrameSize { get; init; }
    /// <summary>actorws.limits.max-message-size: the largest message, all its fragments together.</summary>
    public required long MaxMessageSize { get; init; }
    /// <summary>actorws.limits.max-fragments: most fragments in one message.</summary>
    public required int MaxFragments { get; init; }
    /// <summary>actorws.limits.max-pending-control: pongs waiting to be written before a ping flood closes with 1008.</summary>
    public required int MaxPendingControl { get; init; }
    /// <summary>Zero turns receive-side back-pressure off.</summary>
    public required int MaxHandlerBacklog { get; init; }

    /// <summary>Zero disables keep-alive.</summary>
    public required TimeSpan PingInterval { get; init; }
    /// <summary>actorws.keep-alive.pong-timeout: no pong within it fails the connection with 1011.</summary>
    public required TimeSpan PongTimeout { get; init; }

    /// <summary>actorws.close.timeout: the wait for the peer's close frame after ours (RFC 6455 §7.1.2).</summary>
    public required TimeSpan CloseTimeout { get; init; }
    /// <summary>actorws.close.fin-wait-timeout: a client's wait for the server to close TCP first (RFC 6455 §7.1.1).</summary>
    public required TimeSpan FinWaitTimeout { get; init; }
    /// <summary>actorws.close.flush-timeout: the longest our close frame waits for the handler's answers to what was read before it.</summary>
    public required TimeSpan FlushTimeout { get; init; }

    /// <summary>actorws.write.high-watermark: queued bytes past which the handler is told SendBufferHigh.</summary>
    public required long WriteHighWatermark { get; init; }
    /// <summary>actorws.write.max-buffered: queued bytes past which the connection closes with 1008.</summary>
    public required long WriteMaxBuffered { get; init; }

    /// <summary>actorws.reconnect.enabled: a client reconnects after an abnormal close.</summary>
    public required bool ReconnectEnabled { get; init; }
    /// <summary>actorws.reconnect.min-backoff: the shortest first reconnect delay.</summary>
    public required TimeSpan ReconnectMinBackoff { get; init; }
    /// <summary>actorws.reconnect.first-delay-max: the longest first reconnect delay (RFC 6455 §7.2.3).</summary>
    public required TimeSpan ReconnectFirstDelayMax { get; init; }
    /// <summary>actorws.reconnect.max-backoff: the cap of the doubling delay.</summary>
    public required TimeSpan ReconnectMaxBackoff { get; init; }
    /// <summary>actorws.reconnect.random-factor: each later delay is multiplied by 1 + random(0, this).</summary>
    public required double ReconnectRandomFactor { get; init; }
    /// <summary>actorws.reconnect.reset-after: a connection up this long makes the next reconnect a first one again.</summary>
    public required TimeSpan ReconnectResetAfter { get; init; }
    /// <summary>actorws.reconnect.connect-timeout: time allowed for the TCP connect.</summary>
    public required TimeSpan ConnectTimeout { get; init; }

    /// <summary>actorws.messages.demand: how the handler's pace bounds reading (see <see cref="DemandMode"/>).</summary>
    public DemandMode Demand { get; init; } = DemandMode.Automatic;
    /// <summary>actorws.messages.lend: deliver <see cref="WebSocket.MessageReceived"/> (lent bytes) instead of
    /// <see cref="WebSocket.TextReceived"/> and <see cref="WebSocket.BinaryReceived"/>.</summary>
    public bool LendMessages { get; init; }
    /// <summary>actorws.messages.stream-over: messages larger than this arrive as
    /// <see cref="WebSocket.PartReceived"/> parts of at most this many bytes; 0: always whole. A compressed
    /// message (permessage-deflate, RFC 7692 §6) always arrives whole, inflated within <see cref="MaxMessageSize"/>.</summary>
    public int StreamOver { get; init; }

    /// <summary>actorws.compression: permessage-deflate (RFC 7692) as a server accepts it and a client
    /// offers it; null when <c>actorws.compression.enabled = off</c> (offers declined, none made).</summary>
    public PerMessageDeflateOptions? Compression { get; init; }

    /// <summary>actorws.trace-lifecycle: publish every lifecycle step as a LifecycleEvent on the event stream.</summary>
    public required bool TraceLifecycle { get; init; }

    /// <summary>The defaults: config/actorws.hocon as shipped.</summary>
    public static Config DefaultConfig { get; } = LoadDefault();

    /// <summary>The defaults, as settings.</summary>
    public static WebSocketSettings Default { get; } = Create(Config.Empty);

    /// <summary>Reads settings from a config that holds an <c>actorws</c> section (or none: all defaults).</summary>
    public static WebSocketSettings Create(Config? config)
    {
        var root = (config ?? Config.Empty).WithFallback(DefaultConfig);
        var c = root.GetConfig("actorws");
        var r = new Reader(c);
        var origins = r.Read("allowed-origins", k => c.GetStringList(k));
        var path = r.Read("path", k => c.GetString(k));
        var subprotocols = r.Read("subprotocols", k => c.GetStringList(k));
        var settings = new WebSocketSettings
        {
            Host = r.Read("host", k => c.GetString(k), v => !string.IsNullOrWhiteSpace(v), "must not be empty"),
            Port = r.Read("port", k => c.GetInt(k), v => v is >= 0 and <= 65535, "must be 0..65535"),
            Path = path == "*" ? null : r.Check("path", path, v => v.StartsWith('/'), "must be \"*\" or start with '/'"),
            AllowedOrigins = origins.Count == 0 ? null : new HashSet<string>(origins, StringComparer.Ordinal),
            Subprotocols = r.Check("subprotocols", subprotocols, v => IsOffer(v), "must be distinct HTTP tokens (RFC 6455 §4.1)").ToArray(),
            MaxConnections = r.Read("max-connections", k => c.GetString(k) == "auto" ? (int?)null : c.GetInt(k),
                v => v is null or >= 1, "must be auto or at least 1"),
            RetryAfter = r.Positive("retry-after"),
            ReclaimAfter = r.Read("memory.reclaim-after", k => c.GetTimeSpan(k), v => v >= TimeSpan.Zero, "must not be negative"),
            MaxReadSize = (int)r.Size("tcp.max-read-size", 512, 16 << 20),
            ReceiveBufferSize = (int)r.Size("tcp.receive-buffer-size", 0, 64 << 20),
            AcceptBacklog = r.Read("tcp.accept-backlog", k => c.GetInt(k), v => v >= 1, "must be at least 1"),
            DrainTimeout = r.Positive("tcp.drain-timeout"),
            HandshakeTimeout = r.Positive("handshake.timeout"),
            MaxHandshakeHeadSize = (int)r.Size("handshake.max-head-size", 256, 1 << 20),
            MaxFrameSize = r.Size("limits.max-frame-size", 125, Array.MaxLength),
            MaxMessageSize = r.Size("limits.max-message-size", 125, Array.MaxLength),
            MaxFragments = r.Read("limits.max-fragments", k => c.GetInt(k), v => v >= 1, "must be at least 1"),
            MaxPendingControl = r.Read("limits.max-pending-control", k => c.GetInt(k), v => v >= 1, "must be at least 1"),
            MaxHandlerBacklog = r.Read("limits.max-handler-backlog", k => c.GetInt(k), v => v >= 0, "must not be negative"),
            PingInterval = r.Read("keep-alive.ping-interval", k => c.GetTimeSpan(k), v => v >= TimeSpan.Zero, "must not be negative"),
            PongTimeout = r.Positive("keep-alive.pong-timeout"),
            CloseTimeout = r.Positive("close.timeout"),
            FinWaitTimeout = r.Positive("close.fin-wait-timeout"),
            FlushTimeout = r.Positive("close.flush-timeout"),
            WriteHighWatermark = r.Size("write.high-watermark", 1024, long.MaxValue),
            WriteMaxBuffered = r.Size("write.max-buffered", 1024, long.MaxValue),
            ReconnectEnabled = r.Read("reconnect.enabled", k => c.GetBoolean(k)),
            ReconnectMinBackoff = r.Positive("reconnect.min-backoff"),
            ReconnectFirstDelayMax = r.Positive("reconnect.first-delay-max"),
            ReconnectMaxBackoff = r.Positive("reconnect.max-backoff"),
            ReconnectRandomFactor = r.Read("reconnect.random-factor", k => c.GetDouble(k), v => v is >= 0 and <= 10, "must be 0..10"),
            ReconnectResetAfter = r.Positive("reconnect.reset-after"),
            ConnectTimeout = r.Positive("reconnect.connect-timeout"),
            TraceLifecycle = r.Read("trace-lifecycle", k => c.GetBoolean(k)),
            Demand = r.Read("messages.demand", k => c.GetString(k) switch
            {
                "automatic" => DemandMode.Automatic,
                "explicit" => DemandMode.Explicit,
                var other => throw new FormatException($"'{other}' is neither automatic nor explicit"),
            }),
            LendMessages = r.Read("messages.lend", k => c.GetBoolean(k)),
            StreamOver = (int)r.Size("messages.stream-over", 0, int.MaxValue),
            Tls = r.Read("tls.enabled", k => c.GetBoolean(k)) ? ReadTls(r, c) : null,
            Compression = r.Read("compression.enabled", k => c.GetBoolean(k))
                ? new PerMessageDeflateOptions
                {
                    Threshold = (int)r.Size("compression.threshold", 0, int.MaxValue),
                    Level = r.Read("compression.level", k => c.GetInt(k), v => v is >= 1 and <= 9, "must be 1..9"),
                    ContextTakeover = r.Read("compression.context-takeover", k => c.GetBoolean(k)),
                    PeerContextTakeover = r.Read("compression.peer-context-takeover", k => c.GetBoolean(k)),
                    PeerMaxWindowBits = r.Read("compression.peer-max-window-bits", k => c.GetInt(k), v => v is >= 8 and <= 15, "must be 8..15 (RFC 7692 §7.1.2)"),
                }
                : null,
        };
        if (settings.MaxMessageSize < settings.MaxFrameSize)
            throw Reader.Invalid("limits.max-message-size", "must be at least limits.max-frame-size");
        if (settings.StreamOver is > 0 and < 4)
            throw Reader.Invalid("messages.stream-over", "must be 0 or at least 4 bytes (a text part holds at least one code point)");
        if (settings.WriteMaxBuffered < settings.WriteHighWatermark)
            throw Reader.Invalid("write.max-buffered", "must be at least write.high-watermark");
        if (settings.ReconnectFirstDelayMax < settings.ReconnectMinBackoff)
            throw Reader.Invalid("reconnect.first-delay-max", "must be at least reconnect.min-backoff");
        if (settings.ReconnectMaxBackoff < settings.ReconnectFirstDelayMax)
            throw Reader.Invalid("reconnect.max-backoff", "must be at least reconnect.first-delay-max");
        return settings;
    }

    /// <summary>actorws.tls, when enabled: the files are read now, so that a wrong path, password or
    /// key fails at start and names its key.</summary>
    private static TlsServerSettings ReadTls(Reader r, Config c)
    {
        string File(string key) => r.Read(key, k => c.GetString(k) ?? "");
        var certFile = File("tls.cert-file");
        var keyFile = File("tls.key-file");
        var pfxFile = File("tls.pfx-file");
        var password = File("tls.pfx-password");
        var versions = r.Read("tls.protocols", k => c.GetStringList(k), v => v.Count > 0 && v.All(p => p is "1.2" or "1.3"), "must list \"1.2\", \"1.3\" or both");
        var protocols = versions.Aggregate(System.Security.Authentication.SslProtocols.None, (all, v) =>
            all | (v == "1.2" ? System.Security.Authentication.SslProtocols.Tls12 : System.Security.Authentication.SslProtocols.Tls13));
        if (certFile.Length == 0 && pfxFile.Length == 0)
            throw Reader.Invalid("tls.cert-file", "is empty, and so is actorws.tls.pfx-file: tls.enabled = on needs one of them");
        if (certFile.Length > 0 && pfxFile.Length > 0)
            throw Reader.Invalid("tls.pfx-file", "is set, and so is actorws.tls.cert-file: give one of them");
        if (keyFile.Length > 0 && certFile.Length == 0)
            throw Reader.Invalid("tls.key-file", "is set without actorws.tls.cert-file");
        foreach (var (key, path) in new[] { ("tls.cert-file", certFile), ("tls.key-file", keyFile), ("tls.pfx-file", pfxFile) })
            if (path.Length > 0 && !System.IO.File.Exists(path))
                throw Reader.Invalid(key, $"'{path}' does not exist");
        try
        {
            return pfxFile.Length > 0
                ? TlsServerSettings.FromPfxFile(pfxFile, password.Length == 0 ? null : password, protocols)
                : TlsServerSettings.FromPemFiles(certFile, keyFile.Length == 0 ? null : keyFile, protocols);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw pfxFile.Length > 0
                ? Reader.Invalid("tls.pfx-file", $"'{pfxFile}' cannot be loaded (is actorws.tls.pfx-password right?): {e.Message}")
                : Reader.Invalid(keyFile.Length > 0 ? "tls.key-file" : "tls.cert-file",
                    $"'{(keyFile.Length > 0 ? keyFile : certFile)}' cannot be loaded with the certificate of '{certFile}': {e.Message}");
        }
    }

    private static bool IsOffer(IList<string> subprotocols) =>
        subprotocols.All(s => Protocol.HttpSyntax.IsToken(s)) && subprotocols.Distinct(StringComparer.Ordinal).Count() == subprotocols.Count;

    /// <summary>Reads one key at a time so that any failure names the key it came from.</summary>
    private sealed class Reader(Config config)
    {
        public T Read<T>(string key, Func<string, T> read, Func<T, bool>? valid = null, string? rule = null)
        {
            if (!config.HasPath(key))
                throw Invalid(key, "is missing");
            T value;
            try
            {
                value = read(key);
            }
            catch (Exception e)
            {
                throw Invalid(key, $"cannot be read ({e.Message})");
            }
            return valid is null ? value : Check(key, value, valid, rule ?? "is invalid");
        }

        public T Check<T>(string key, T value, Func<T, bool> valid, string rule) =>
            valid(value) ? value : throw Invalid(key, $"{rule} (got '{(value is IEnumerable<string> list ? string.Join(", ", list) : value)}')");

        public TimeSpan Positive(string key) => Read(key, k => config.GetTimeSpan(k), v => v > TimeSpan.Zero, "must be a positive duration");

        public long Size(string key, long min, long max) =>
            Read(key, k => config.GetByteSize(k) ?? throw new FormatException("not a size"), v => v >= min && v <= max, $"must be a size from {min} to {max} bytes");

        public static ConfigurationException Invalid(string key, string problem) =>
            new($"Invalid ActorWs configuration: actorws.{key} {problem}");
    }

    private static Config LoadDefault()
    {
        using var stream = typeof(WebSocketSettings).Assembly.GetManifestResourceStream("actorws.hocon")
            ?? throw new InvalidOperationException("actorws.hocon is not embedded in the ActorWs assembly");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
