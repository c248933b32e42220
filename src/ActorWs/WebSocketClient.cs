using Akka.Actor;
using ActorWs.Client;
using ActorWs.Connection;
using ActorWs.Dispatch;

namespace ActorWs;

/// <summary>
/// Starts client connections. With reconnect enabled the connection runs under a
/// <see cref="ReconnectSupervisor"/>: an abnormal close makes the connection actor fail with
/// <see cref="ConnectionLostException"/> and the supervisor starts a new one after a delay that
/// starts random (RFC 6455 §7.2.3: "a random amount of time" before the first reconnect, so that
/// clients dropped together do not come back together) and then doubles, with jitter, up to a cap
/// (<see cref="ReconnectBackoff"/>). A clean close, or one the application asked for, stops the
/// connection and with it the supervisor.
/// </summary>
public static class WebSocketClient
{
    /// <summary>Connects to a ws:// or wss:// URI (wss:// checked as <see cref="WebSocketClientOptions.Tls"/>
    /// says; a certificate refused is reported in <see cref="Closed.TlsFailure"/> and not retried); <paramref name="handler"/> receives <see cref="Opened"/>,
    /// the messages and <see cref="Closed"/> of each connection, and <see cref="Reconnecting"/>
    /// before each reconnect. Returns the client's actor, to which the handler may also send its
    /// commands; they go to the current connection (see <see cref="ReconnectSupervisor"/> for
    /// commands sent while there is none). A server that refuses the upgrade is reported in
    /// <see cref="Closed.HandshakeFailure"/>, and retried only for a 5xx, 408 or 429. Throws an
    /// <see cref="ArgumentException"/> for a URI that is not ws:// or wss://, <paramref name="options"/> that
    /// cannot be sent, or a CA file that cannot be read.</summary>
    public static IActorRef Connect(ActorSystem system, Uri uri, IActorRef handler,
        WebSocketSettings? settings = null, string name = "ws-client", WebSocketClientOptions? options = null) =>
        Connect(system, [uri], handler, settings, name, options);

    /// <summary>Connects to the first of several ws:// or wss:// URIs (the nodes of a cluster, say); with
    /// reconnect on, each reconnect goes to the next one in the list, round and round, after the
    /// same backoff delays as with one URI. Without reconnect only the first is used. Otherwise as
    /// <see cref="Connect(ActorSystem, Uri, IActorRef, WebSocketSettings?, string, WebSocketClientOptions?)"/>;
    /// an empty list is an <see cref="ArgumentException"/>.</summary>
    public static IActorRef Connect(ActorSystem system, IReadOnlyList<Uri> endpoints, IActorRef handler,
        WebSocketSettings? settings = null, string name = "ws-client", WebSocketClientOptions? options = null)
    {
        if (endpoints.Count == 0)
            throw new ArgumentException("no endpoint to connect to", nameof(endpoints));
        var uri = endpoints[0];
        settings ??= WebSocketSettings.Create(system.Settings.Config);
        options ??= WebSocketClientOptions.Default;
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Scheme is not ("ws" or "wss"))
                throw new ArgumentException($"'{endpoint}' is not a ws:// or wss:// URI", nameof(endpoints));
            // Checked here, where the application can catch it, rather than in each connection.
            options.CreateRequest(endpoint, settings);
        }
        if (endpoints.Any(e => e.Scheme == "wss") && options.Tls?.CaFile is { } caFile)
        {
            try
            {
                new System.Security.Cryptography.X509Certificates.X509Certificate2Collection().ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new ArgumentException($"the CA file '{caFile}' cannot be read: {e.Message}", nameof(options), e);
            }
        }
        Transport.Preload.Before(system);
        Memory.MemoryReclaimer.Enable(settings.ReclaimAfter);
        if (!settings.ReconnectEnabled)
            return system.ActorOf(ConnectionActor.ForClient(settings, uri, options, handler, name).UseLeanMailbox(system), name);
        return system.ActorOf(ReconnectSupervisor.Props(settings, endpoints.ToArray(), options, handler, name).UseLeanMailbox(system), name);
    }
}
