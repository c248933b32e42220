using ActorWs.Cluster;

namespace ActorWs.Cluster.Tests;

public sealed class TopicNameTests
{
    [Theory]
    [InlineData("lobby")]
    [InlineData("room-1.eu:west_2")]
    [InlineData("A")]
    public void Plain_names_are_topics(string name) => Assert.Equal(name, TopicName.Validate(name, 100));

    [Fact]
    public void A_name_over_the_limit_is_refused_saying_its_length_and_the_limit()
    {
        var e = Assert.Throws<TopicNameException>(() => TopicName.Validate(new string('a', 101), 100));
        Assert.Contains("101 characters long; at most 100 are allowed", e.Message);
    }

    [Theory]
    [InlineData("a b", "' '", 2)]
    [InlineData("room/1", "'/'", 5)]
    [InlineData("caf\u00e9", "U+00E9", 4)]
    [InlineData("x\ny", "U+000A", 2)]
    public void A_name_with_a_forbidden_character_is_refused_naming_it_and_where(string name, string shown, int position)
    {
        var e = Assert.Throws<TopicNameException>(() => TopicName.Validate(name, 100));
        Assert.Contains($"forbidden character {shown} at position {position}", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void An_empty_name_is_refused() =>
        Assert.Contains("empty", Assert.Throws<TopicNameException>(() => TopicName.Validate("", 100)).Message);
}
