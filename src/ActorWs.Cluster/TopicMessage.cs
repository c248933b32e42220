namespace ActorWs.Cluster;

/// <summary>
/// A message published to a topic, as it travels between nodes and reaches each subscribed
/// handler: text or binary, as the WebSocket message it becomes. Serialized by
/// <see cref="TopicMessageSerializer"/> (a few bytes of header, then the payload).
/// </summary>
public sealed record TopicMessage
{
    /// <summary>A text message to <paramref name="topic"/>.</summary>
    public TopicMessage(string topic, string text)
    {
        Topic = topic;
        Text = text;
    }

    /// <summary>A binary message to <paramref name="topic"/>; the array must not change after publishing.</summary>
    public TopicMessage(string topic, byte[] data)
    {
        Topic = topic;
        Data = data;
    }

    /// <summary>The topic it was published to.</summary>
    public string Topic { get; }
    /// <summary>The text; null for a binary message.</summary>
    public string? Text { get; }
    /// <summary>The bytes; null for a text message.</summary>
    public byte[]? Data { get; }

    /// <summary>The command that sends it to a connection.</summary>
    internal Command ToCommand() => Text is not null ? new SendText(Text) : new SendBinary(Data!);

    /// <summary>Its payload's size, for the metrics.</summary>
    internal int Length => Text?.Length ?? Data!.Length;
}
