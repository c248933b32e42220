using ActorWs.Demo;

namespace ActorWs.Demo.Tests;

/// <summary>The command line of serve and connect: the door's options.</summary>
public sealed class DemoOptionsTests
{
    [Fact]
    public void Serve_takes_repeated_subprotocols_in_order_of_preference()
    {
        var options = DemoOptions.Parse(["serve", "--subprotocol", "chat", "--port", "0", "--subprotocol", "superchat"]);

        Assert.Equal(Verb.Serve, options.Verb);
        Assert.Equal(["chat", "superchat"], options.Subprotocols);
    }

    [Fact]
    public void Connect_takes_repeated_headers_and_subprotocols_in_order()
    {
        var options = DemoOptions.Parse(["connect", "ws://127.0.0.1:9000/", "--header", "Authorization: Bearer abc",
            "--subprotocol", "chat.v2", "--header", "X-Trace:  42 ", "--subprotocol", "chat.v1"]);

        Assert.Equal(Verb.Connect, options.Verb);
        Assert.Equal([new("Authorization", "Bearer abc"), new("X-Trace", "42")], options.Headers);
        Assert.Equal(["chat.v2", "chat.v1"], options.Subprotocols);
    }

    [Fact]
    public void Header_value_may_hold_colons_and_be_empty()
    {
        var options = DemoOptions.Parse(["connect", "ws://h/", "--header", "X-Url: http://a:1/", "--header", "X-Empty:"]);

        Assert.Equal([new("X-Url", "http://a:1/"), new("X-Empty", "")], options.Headers);
    }

    [Theory]
    [InlineData("connect", "ws://h/", "--header", "no colon")]
    [InlineData("connect", "ws://h/", "--header", ": no name")]
    [InlineData("connect", "ws://h/", "--header", "Two Words: x")]
    [InlineData("connect", "ws://h/", "--header", "X-Bad: a\r\nInjected: yes")]
    [InlineData("connect", "ws://h/", "--header")]
    [InlineData("connect", "ws://h/", "--subprotocol", "not a token")]
    [InlineData("connect", "ws://h/", "--subprotocol", "chat", "--subprotocol", "chat")]
    [InlineData("serve", "--header", "X-A: b")]
    [InlineData("--subprotocol", "chat")]
    public void Malformed_header_or_subprotocol_is_one_readable_error(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => DemoOptions.Parse(args));

        Assert.DoesNotContain("\n", e.Message);
        Assert.DoesNotContain("\r", e.Message);
    }

    [Fact]
    public void Usage_documents_the_door_options()
    {
        Assert.Contains("--subprotocol NAME", DemoOptions.Usage);
        Assert.Contains("--header 'NAME: VALUE'", DemoOptions.Usage);
        Assert.Contains("/healthz", DemoOptions.Usage);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("connect", "ws://127.0.0.1:9000/")]
    public void No_compression_turns_permessage_deflate_off_for_serve_and_connect(params string[] verb)
    {
        var options = DemoOptions.Parse([.. verb, "--no-compression"]);

        Assert.True(options.NoCompression);
        Assert.Null(WebSocketSettings.Create(options.LoadConfig()).Compression);
        Assert.NotNull(WebSocketSettings.Create(DemoOptions.Parse(verb).LoadConfig()).Compression);
        Assert.Contains("--no-compression", DemoOptions.Usage);
    }

    [Fact]
    public void No_compression_goes_with_serve_or_connect_only()
    {
        var e = Assert.Throws<UsageException>(() => DemoOptions.Parse(["--no-compression"]));
        Assert.Equal("--no-compression goes with serve or connect", e.Message);
    }
}
