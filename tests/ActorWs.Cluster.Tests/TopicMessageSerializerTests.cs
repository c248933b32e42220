using Akka.Actor;
using ActorWs.Cluster;

namespace ActorWs.Cluster.Tests;

public sealed class TopicMessageSerializerTests() : Akka.TestKit.Xunit2.TestKit(ClusterNode.Config(0))
{
    [Fact]
    public void Text_and_binary_messages_round_trip_through_the_serializer_the_config_binds()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new TopicMessage("t", "x"));
        Assert.IsType<TopicMessageSerializer>(serializer);
        foreach (var message in new[] { new TopicMessage("room-1", "h\u00e9llo \U0001F600"), new TopicMessage("r", [0, 1, 255]), new TopicMessage("e", "") })
        {
            var bytes = serializer.ToBinary(message);
            var back = (TopicMessage)Sys.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
            Assert.Equal(message.Topic, back.Topic);
            Assert.Equal(message.Text, back.Text);
            Assert.Equal(message.Data, back.Data);
        }
    }
}
