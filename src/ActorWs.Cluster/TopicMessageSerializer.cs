using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace ActorWs.Cluster;

/// <summary>
/// Serializes <see cref="TopicMessage"/> between nodes: one kind byte, the topic (length-prefixed
/// UTF-8), then the payload as it is. Akka's default JSON serializer would do, at several times the
/// size and cost, for what is the hot path of a fan-out. Bound in <c>actorws-cluster.hocon</c>
/// (<see cref="ClusterTopics.DefaultConfig"/>), which every node must load.
/// </summary>
public sealed class TopicMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const string TextManifest = "T";
    private const string BinaryManifest = "B";

    /// <summary>6455, after the RFC; Akka keeps 0–100 for itself.</summary>
    public override int Identifier => 6455;

    /// <inheritdoc />
    public override string Manifest(object o) => o is TopicMessage { Text: not null } ? TextManifest : BinaryManifest;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        if (obj is not TopicMessage m)
            throw new ArgumentException($"{GetType().Name} serializes TopicMessage only, not {obj.GetType()}", nameof(obj));
        int topicLength = Encoding.UTF8.GetByteCount(m.Topic);
        int payloadLength = m.Text is not null ? Encoding.UTF8.GetByteCount(m.Text) : m.Data!.Length;
        var bytes = new byte[2 + topicLength + payloadLength];
        // Topic names are at most a few hundred ASCII characters (TopicName), so two bytes hold the length.
        if (topicLength > ushort.MaxValue)
            throw new ArgumentException("topic name too long to serialize", nameof(obj));
        bytes[0] = (byte)(topicLength >> 8);
        bytes[1] = (byte)topicLength;
        Encoding.UTF8.GetBytes(m.Topic, bytes.AsSpan(2));
        if (m.Text is not null)
            Encoding.UTF8.GetBytes(m.Text, bytes.AsSpan(2 + topicLength));
        else
            m.Data!.CopyTo(bytes.AsSpan(2 + topicLength));
        return bytes;
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        int topicLength = bytes[0] << 8 | bytes[1];
        var topic = Encoding.UTF8.GetString(bytes, 2, topicLength);
        var payload = bytes.AsSpan(2 + topicLength);
        return manifest switch
        {
            TextManifest => new TopicMessage(topic, Encoding.UTF8.GetString(payload)),
            BinaryManifest => new TopicMessage(topic, payload.ToArray()),
            _ => throw new ArgumentException($"unknown TopicMessage manifest '{manifest}'"),
        };
    }
}
