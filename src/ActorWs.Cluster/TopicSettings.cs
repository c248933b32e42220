using Akka.Configuration;

namespace ActorWs.Cluster;

/// <summary>What a slow consumer gets of the messages published to its topics.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>They are dropped for it alone, and counted.</summary>
    Drop,
    /// <summary>The connection is closed with 1008 (policy violation).</summary>
    Close,
}

/// <summary>The <c>actorws.cluster.topics</c> section (config/actorws-cluster.hocon).</summary>
public sealed record TopicSettings
{
    /// <summary>actorws.cluster.topics.max-name-length: the longest topic name.</summary>
    public int MaxNameLength { get; init; } = 100;

    /// <summary>actorws.cluster.topics.slow-consumer.</summary>
    public SlowConsumerPolicy SlowConsumer { get; init; } = SlowConsumerPolicy.Drop;

    /// <summary>The defaults.</summary>
    public static TopicSettings Default { get; } = new();

    /// <summary>Reads the section from <paramref name="config"/> over <see cref="ClusterTopics.DefaultConfig"/>;
    /// an invalid value is an <see cref="ArgumentException"/> naming the key.</summary>
    public static TopicSettings Create(Config? config)
    {
        var section = (config ?? Config.Empty).WithFallback(ClusterTopics.DefaultConfig).GetConfig("actorws.cluster.topics");
        int max = section.GetInt("max-name-length");
        if (max is < 1 or > 1000)
            throw new ArgumentException($"actorws.cluster.topics.max-name-length must be 1–1000, not {max}");
        var policy = section.GetString("slow-consumer") switch
        {
            "drop" => SlowConsumerPolicy.Drop,
            "close" => SlowConsumerPolicy.Close,
            var other => throw new ArgumentException($"actorws.cluster.topics.slow-consumer must be drop or close, not '{other}'"),
        };
        return new TopicSettings { MaxNameLength = max, SlowConsumer = policy };
    }
}
