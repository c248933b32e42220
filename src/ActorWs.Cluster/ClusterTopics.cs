using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;

namespace ActorWs.Cluster;

/// <summary>
/// Topics across the nodes of an Akka.Cluster, for WebSocket connections: the node's
/// DistributedPubSub mediator and the settings, one per actor system
/// (<c>ClusterTopics.Get(system)</c>). A handler uses them through <see cref="ConnectionTopics"/>.
/// </summary>
/// <remarks>
/// The delivery guarantee is DistributedPubSub's, stated without gloss: <b>at most once</b>, and
/// <b>in order for each pair of publisher and subscriber</b>. A message is lost for a subscriber
/// whose node is unreachable or leaving, or whose connection is closed or slow (see
/// <see cref="SlowConsumerPolicy"/>); a subscription takes effect on its own node when
/// <see cref="ConnectionTopics"/> reports it, and on the other nodes after the mediators' next
/// gossip (<c>akka.cluster.pub-sub.gossip-interval</c>, 1 s by default): a message published
/// elsewhere before then does not reach it. Nothing is stored, acknowledged or redelivered.
/// </remarks>
public sealed class ClusterTopics : IExtension
{
    private static Config? _defaultConfig;

    /// <summary>The embedded config/actorws-cluster.hocon: the <c>actorws.cluster.topics</c>
    /// defaults and the serializer bindings every node needs.</summary>
    public static Config DefaultConfig => _defaultConfig ??= Load();

    /// <summary>The node's DistributedPubSub mediator.</summary>
    public IActorRef Mediator { get; }

    /// <summary>The settings, read from the system's config when the extension was first asked for.</summary>
    public TopicSettings Settings { get; }

    internal ClusterTopics(ExtendedActorSystem system)
    {
        // The serializer bindings must be in the system's config when it starts (a node that meets
        // a TopicMessage without them cannot read it); this only fills in the settings' defaults.
        system.Settings.InjectTopLevelFallback(DefaultConfig);
        Settings = TopicSettings.Create(system.Settings.Config);
        Mediator = DistributedPubSub.Get(system).Mediator;
    }

    /// <summary>The extension of <paramref name="system"/>, created on first use. The system must
    /// use the cluster provider (<c>akka.actor.provider = cluster</c>).</summary>
    public static ClusterTopics Get(ActorSystem system) => system.WithExtension<ClusterTopics, ClusterTopicsProvider>();

    private static Config Load()
    {
        using var stream = typeof(ClusterTopics).Assembly.GetManifestResourceStream("actorws-cluster.hocon")
            ?? throw new InvalidOperationException("actorws-cluster.hocon is not embedded in ActorWs.Cluster");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>Creates <see cref="ClusterTopics"/> (Akka's extension mechanism).</summary>
public sealed class ClusterTopicsProvider : ExtensionIdProvider<ClusterTopics>
{
    /// <inheritdoc />
    public override ClusterTopics CreateExtension(ExtendedActorSystem system) => new(system);
}
