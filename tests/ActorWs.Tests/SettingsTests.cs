using Akka.Configuration;
using ActorWs.Protocol;

namespace ActorWs.Tests;

/// <summary>The actorws HOCON section: defaults load, and a bad value fails with a message naming its key.</summary>
public sealed class SettingsTests
{
    [Fact]
    public void Defaults_load_from_the_embedded_actorws_hocon()
    {
        var s = WebSocketSettings.Default;
        Assert.Equal("127.0.0.1", s.Host);
        Assert.Equal(8765, s.Port);
        Assert.Null(s.Path);
        Assert.Equal(16L * 1024 * 1024, s.MaxMessageSize);
        Assert.Equal(131_072, s.MaxFragments);
        Assert.Equal(8 * 1024, s.MaxHandshakeHeadSize);
        Assert.Equal(64 * 1024, s.MaxReadSize);
        Assert.Equal(256 * 1024, s.ReceiveBufferSize);
        Assert.Equal(1024, s.AcceptBacklog);
        Assert.Equal(TimeSpan.FromSeconds(2), s.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), s.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), s.CloseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), s.FinWaitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), s.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), s.PongTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), s.ReconnectMaxBackoff);
        Assert.True(s.ReconnectEnabled);
        Assert.False(s.TraceLifecycle);
        Assert.Null(s.MaxConnections); // auto: derived from the descriptor limit at server start
        Assert.Equal(TimeSpan.FromSeconds(5), s.RetryAfter);
    }

    [Fact]
    public void Compression_defaults_to_permessage_deflate_without_context_takeover_either_way()
    {
        var compression = WebSocketSettings.Default.Compression;
        Assert.Equal(new PerMessageDeflateOptions { Level = 6, Threshold = 1024, ContextTakeover = false, PeerContextTakeover = false, PeerMaxWindowBits = 15 }, compression);
        var custom = WebSocketSettings.Create(ConfigurationFactory.ParseString(
            "actorws.compression { threshold = 0, level = 1, context-takeover = on, peer-context-takeover = on, peer-max-window-bits = 10 }"));
        Assert.Equal(new PerMessageDeflateOptions { Level = 1, Threshold = 0, ContextTakeover = true, PeerContextTakeover = true, PeerMaxWindowBits = 10 }, custom.Compression);
        Assert.Null(WebSocketSettings.Create(ConfigurationFactory.ParseString("actorws.compression.enabled = off")).Compression);
    }

    [Fact]
    public void Max_connections_takes_a_number_instead_of_auto()
    {
        var s = WebSocketSettings.Create(ConfigurationFactory.ParseString("actorws { max-connections = 100, retry-after = 30s }"));
        Assert.Equal(100, s.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RetryAfter);
    }

    [Fact]
    public void User_values_override_the_defaults()
    {
        var s = WebSocketSettings.Create(ConfigurationFactory.ParseString("actorws { port = 9000, path = \"/ws\", limits.max-frame-size = 1 MiB }"));
        Assert.Equal(9000, s.Port);
        Assert.Equal("/ws", s.Path);
        Assert.Equal(1024 * 1024, s.MaxFrameSize);
        Assert.Equal(16L * 1024 * 1024, s.MaxMessageSize);
    }

    [Theory]
    [InlineData("actorws.compression.level = 0", "actorws.compression.level")]
    [InlineData("actorws.compression.level = 10", "actorws.compression.level")]
    [InlineData("actorws.compression.peer-max-window-bits = 7", "actorws.compression.peer-max-window-bits")]
    [InlineData("actorws.compression.peer-max-window-bits = 16", "actorws.compression.peer-max-window-bits")]
    [InlineData("actorws.compression.threshold = -1", "actorws.compression.threshold")]
    [InlineData("actorws.compression.enabled = maybe", "actorws.compression.enabled")]
    [InlineData("actorws.compression.context-takeover = sometimes", "actorws.compression.context-takeover")]
    [InlineData("actorws.port = 70000", "actorws.port")]
    [InlineData("actorws.port = -1", "actorws.port")]
    [InlineData("actorws.limits.max-frame-size = \"abc\"", "actorws.limits.max-frame-size")]
    [InlineData("actorws.handshake.timeout = 0s", "actorws.handshake.timeout")]
    [InlineData("actorws.close.timeout = \"soon\"", "actorws.close.timeout")]
    [InlineData("actorws.path = \"ws\"", "actorws.path")]
    [InlineData("actorws.limits.max-fragments = 0", "actorws.limits.max-fragments")]
    [InlineData("actorws.limits.max-handler-backlog = -1", "actorws.limits.max-handler-backlog")]
    [InlineData("actorws.reconnect.random-factor = 11", "actorws.reconnect.random-factor")]
    [InlineData("actorws.tcp.max-read-size = 100", "actorws.tcp.max-read-size")]
    [InlineData("actorws.tcp.max-read-size = 1 GiB", "actorws.tcp.max-read-size")]
    [InlineData("actorws.tcp.accept-backlog = 0", "actorws.tcp.accept-backlog")]
    [InlineData("actorws.tcp.receive-buffer-size = -1", "actorws.tcp.receive-buffer-size")]
    [InlineData("actorws.tcp.drain-timeout = 0s", "actorws.tcp.drain-timeout")]
    [InlineData("actorws.max-connections = 0", "actorws.max-connections")]
    [InlineData("actorws.max-connections = -5", "actorws.max-connections")]
    [InlineData("actorws.max-connections = \"lots\"", "actorws.max-connections")]
    [InlineData("actorws.retry-after = 0s", "actorws.retry-after")]
    [InlineData("actorws.limits { max-frame-size = 2 MiB, max-message-size = 1 MiB }", "actorws.limits.max-message-size")]
    public void Bad_value_fails_with_a_message_naming_the_key(string hocon, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => WebSocketSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Close_codes_reserved_for_local_use_are_never_valid_on_the_wire()
    {
        Assert.False(CloseCodes.IsValidOnWire(CloseCodes.NoStatusReceived));
        Assert.False(CloseCodes.IsValidOnWire(CloseCodes.AbnormalClosure));
        Assert.False(CloseCodes.IsValidOnWire(CloseCodes.TlsHandshakeFailure));
    }
}
