using System.Net;
using Akka.Actor;
using ActorWs.Dispatch;
using ActorWs.Server;

namespace ActorWs;

/// <summary>
/// A running WebSocket server: <c>/user/{name}</c> with one actor tree per connection. Each
/// connection gets a handler actor made from <c>handlerProps</c>, as a child of its connection.
/// </summary>
public sealed class WebSocketServer
{
    private WebSocketServer(IActorRef actor, ServerActor.Listening listening, WebSocketSettings settings)
    {
        Actor = actor;
        Endpoint = listening.Endpoint;
        MaxConnections = listening.MaxConnections;
        Settings = settings;
    }

    /// <summary>The server's actor, <c>/user/{name}</c>; each connection's tree is its child.</summary>
    public IActorRef Actor { get; }
    /// <summary>The address it listens on (with the port chosen when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }
    /// <summary><c>actorws.max-connections</c> as the server applies it (auto resolved at start);
    /// <see cref="int.MaxValue"/> for no limit.</summary>
    public int MaxConnections { get; }
    /// <summary>The settings it runs with.</summary>
    public WebSocketSettings Settings { get; }
    /// <summary>The URI a client connects to: wss:// when <c>actorws.tls.enabled</c>, else ws://.</summary>
    public Uri Uri => new($"{(Settings.Tls is null ? "ws" : "wss")}://{Endpoint}{Settings.Path ?? "/"}");

    /// <summary>Binds and returns once the server is listening. Settings default to the
    /// <c>actorws</c> section of the system's configuration. With a <paramref name="decider"/>, every
    /// request — each valid upgrade, and each plain HTTP request — is put to it (the application's
    /// door: authentication, subprotocol, health checks); without one, every valid upgrade is accepted.</summary>
    public static async Task<WebSocketServer> StartAsync(ActorSystem system, Props handlerProps, WebSocketSettings? settings = null,
        string name = "ws-server", UpgradeDecider? decider = null)
    {
        settings ??= WebSocketSettings.Create(system.Settings.Config);
        var address = await ResolveAsync(settings.Host);
        var bound = new TaskCompletionSource<ServerActor.Listening>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.ActorOf(Props.Create(() => new ServerActor(settings, new IPEndPoint(address, settings.Port), handlerProps, decider, bound)).UseLeanMailbox(system), name);
        var listening = await bound.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new WebSocketServer(actor, listening, settings);
    }

    /// <summary>The address a host name or literal stands for (IPv4 first); a clear error when it has none.</summary>
    public static async Task<IPAddress> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var address))
            return address;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host);
            return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? addresses.First();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new ArgumentException($"host '{host}' does not resolve: {e.Message}");
        }
    }

    /// <summary>Closes every connection with 1001 and stops listening, then stops the server's actors
    /// once the connections are gone or the close timeout has passed.</summary>
    public async Task StopAsync()
    {
        await Actor.Ask<ServerActor.Shutdown>(ServerActor.Shutdown.Instance, TimeSpan.FromSeconds(5));
        // The server stops by itself when its last connection has ended its closing handshake; only
        // one that outlives the close timeouts is stopped where it is.
        using var patience = new CancellationTokenSource(Settings.CloseTimeout + Settings.FinWaitTimeout);
        try
        {
            if (await Actor.WatchAsync(patience.Token))
                return;
        }
        catch (TaskCanceledException)
        {
        }
        try
        {
            await Actor.GracefulStop(Settings.CloseTimeout + Settings.FinWaitTimeout);
        }
        catch (TaskCanceledException)
        {
        }
    }
}
