using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// What a client's upgrade request carries besides the URI (RFC 6455 §4.1): the subprotocols it
/// offers, an Origin and extra header fields such as <c>Authorization</c> or <c>Cookie</c>. Checked
/// when <see cref="WebSocketClient.Connect(Akka.Actor.ActorSystem, Uri, Akka.Actor.IActorRef, WebSocketSettings?, string, WebSocketClientOptions?)"/> is called: a header with CR or LF, a subprotocol that
/// is not a token, a field the handshake writes itself are an <see cref="ArgumentException"/> there.
/// </summary>
public sealed record WebSocketClientOptions
{
    /// <summary>None: the defaults.</summary>
    public static WebSocketClientOptions Default { get; } = new();

    /// <summary>The subprotocols to offer, most preferred first (§4.1 item 10); null for <c>actorws.subprotocols</c>.</summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }

    /// <summary>Extra header fields, in order (§4.1 item 12).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The Origin header (§4.1 item 8, §10.2); null sends none, as a non-browser client may.</summary>
    public string? Origin { get; init; }

    /// <summary>wss://: how the server's certificate is checked (RFC 6455 §4.1, TLS before the
    /// opening handshake); null for <see cref="TlsClientOptions.Default"/> (the system's trust store,
    /// the host name checked). Ignored for ws://.</summary>
    public TlsClientOptions? Tls { get; init; }

    /// <summary>The upgrade request for one connection, with a fresh key.</summary>
    internal ClientHandshake CreateRequest(Uri uri, WebSocketSettings settings) =>
        ClientHandshake.Create(uri, Origin, Subprotocols ?? settings.Subprotocols, Headers, settings.Compression);
}
