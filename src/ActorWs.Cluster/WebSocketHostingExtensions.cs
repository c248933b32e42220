using Akka.Actor;
using Akka.Hosting;

namespace ActorWs.Cluster;

/// <summary>
/// ActorWs on Akka.Hosting (Microsoft.Extensions.Hosting):
/// <c>services.AddAkka("chat", b =&gt; b.WithRemoting(…).AddHocon(cluster, …).WithWebSocketTopics().WithWebSocketServer(…))</c>.
/// </summary>
public static class WebSocketHostingExtensions
{
    /// <summary>Selects the cluster actor-ref provider, adds <see cref="ClusterTopics.DefaultConfig"/> (the topic settings' defaults and the
    /// serializer bindings) as a fallback, and starts the node's <see cref="ClusterTopics"/> with the
    /// system, so that its mediator is up before the first connection.</summary>
    public static AkkaConfigurationBuilder WithWebSocketTopics(this AkkaConfigurationBuilder builder)
    {
        builder.AddHocon(ClusterTopics.DefaultConfig, HoconAddMode.Append);
        // Akka.Hosting chooses the provider itself (WithRemoting sets "remote"); topics need the cluster's.
        builder.WithActorRefProvider(ProviderSelection.Cluster.Instance);
        builder.AddStartup((system, _) => ClusterTopics.Get(system));
        return builder;
    }

    /// <summary>
    /// Starts a <see cref="WebSocketServer"/> once the actor system is up, registers its actor in the
    /// <see cref="IActorRegistry"/> under <see cref="WebSocketServerKey"/>, and hooks it into the
    /// system's CoordinatedShutdown: in the <c>service-unbind</c> phase — before a cluster node
    /// leaves the cluster — the server stops listening and closes every connection with 1001
    /// (going away), so that clients reconnect to another node. SIGTERM (or Ctrl-C) stops the host,
    /// which runs CoordinatedShutdown: the node closes its connections, then leaves the cluster.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="handler">Makes the props of each connection's handler.</param>
    /// <param name="settings">The server's settings; null for the <c>actorws</c> section of the system's config.</param>
    /// <param name="decider">Makes the server's door; null accepts every valid upgrade.</param>
    /// <param name="started">Called with the server once it listens (its <see cref="WebSocketServer.Endpoint"/> has the port chosen for 0).</param>
    /// <param name="name">The server actor's name.</param>
    public static AkkaConfigurationBuilder WithWebSocketServer(this AkkaConfigurationBuilder builder,
        Func<ActorSystem, IActorRegistry, Props> handler,
        Func<ActorSystem, WebSocketSettings>? settings = null,
        Func<ActorSystem, IActorRegistry, UpgradeDecider?>? decider = null,
        Action<WebSocketServer>? started = null,
        string name = "ws-server")
    {
        ArgumentNullException.ThrowIfNull(handler);
        builder.AddStartup(async (system, registry) =>
        {
            var server = await WebSocketServer.StartAsync(system, handler(system, registry),
                settings?.Invoke(system), name, decider?.Invoke(system, registry));
            registry.Register<WebSocketServerKey>(server.Actor);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "actorws-close-connections", async () =>
            {
                await server.StopAsync();
                return Akka.Done.Instance;
            });
            started?.Invoke(server);
        });
        return builder;
    }
}

/// <summary>The <see cref="IActorRegistry"/> key of the server that <see cref="WebSocketHostingExtensions.WithWebSocketServer"/> starts.</summary>
public sealed class WebSocketServerKey
{
    private WebSocketServerKey()
    {
    }
}
