using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using ActorWs.Cluster;

namespace ActorWs.Cluster.Tests;

/// <summary>An actor system that is a cluster node on loopback, for tests in one process.</summary>
internal static class ClusterNode
{
    /// <summary>Cluster provider on 127.0.0.1:<paramref name="port"/> (0: any), quiet, with the
    /// ActorWs.Cluster bindings, and pub/sub gossip every 200 ms so that a subscription reaches the
    /// other nodes soon (tests wait for it to have, never for time to pass).</summary>
    public static Config Config(int port) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
        akka.cluster.pub-sub.gossip-interval = 200ms
        {{AkkaConfig.Quiet}}
        {{AkkaConfig.Patient}}
        """).WithFallback(ClusterTopics.DefaultConfig);

    /// <summary>Joins <paramref name="system"/> to the cluster at <paramref name="seed"/> and waits until it is up.</summary>
    public static async Task JoinAsync(ActorSystem system, Address seed)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(seed);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
