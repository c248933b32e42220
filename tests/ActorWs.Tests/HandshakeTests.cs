using System.Text;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The server's opening handshake (RFC 6455 §4.2) against a real server on a loopback port, driven
/// by a raw socket: every refused request gets its HTTP status, the server closes TCP, and the
/// connection never reaches OPEN (no handler, reader or writer is started).
/// </summary>
public sealed class HandshakeTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private async Task<(WebSocketServer Server, TestProbe Trace, TestProbe Handlers)> StartAsync(string extra = "")
    {
        var trace = CreateTestProbe();
        Sys.EventStream.Subscribe(trace.Ref, typeof(LifecycleEvent));
        var handlers = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, ForwardingHandler.Props(handlers.Ref), TestSettings.Create(extra, traceLifecycle: true));
        return (server, trace, handlers);
    }

    /// <summary>Sends the request, reads the response until the server closes TCP, returns the status line.</summary>
    private static async Task<string> ExchangeAsync(WebSocketServer server, byte[] request, TimeSpan? timeout = null)
    {
        using var peer = await RawPeer.ConnectAsync(server.Endpoint);
        if (request.Length > 0)
            await peer.SendAsync(request);
        var response = Encoding.ASCII.GetString(await peer.ReadToEndAsync(timeout ?? Wait));
        return response.Split("\r\n")[0];
    }

    /// <summary>Follows the trace of the one connection to its end: it must close without ever being OPEN.</summary>
    private static void AssertNeverOpened(TestProbe trace, TestProbe handlers)
    {
        var events = new List<LifecycleEvent>();
        trace.FishForMessage<LifecycleEvent>(e =>
        {
            events.Add(e);
            return e.Category == TraceCategory.State && e.Message.StartsWith("closed with 1006", StringComparison.Ordinal);
        }, Wait);
        Assert.DoesNotContain(events, e => e.Category == TraceCategory.State && e.Message == "OPEN");
        Assert.DoesNotContain(events, e => e.Message.StartsWith("connection tree", StringComparison.Ordinal));
        // The handler is created on OPEN only, which the trace shows never came.
        Assert.False(handlers.HasMessages);
    }

    [Fact]
    public async Task Valid_request_gets_101_with_the_accept_for_its_key()
    {
        var (server, _, handlers) = await StartAsync();
        using var peer = await RawPeer.ConnectAsync(server.Endpoint);
        await peer.SendAsync(Wire.Ascii(Wire.UpgradeRequest()));
        var head = await peer.ReadHeadAsync(Wait) ?? throw new Xunit.Sdk.XunitException("TCP closed before the response head ended");
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains("Upgrade: websocket\r\n", head);
        Assert.Contains("Connection: Upgrade\r\n", head);
        Assert.Contains($"Sec-WebSocket-Accept: {Wire.SampleAccept}\r\n", head);
        handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
        Assert.Equal("/chat", handlers.ExpectMsg<Opened>(Wait).Path);
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "no key", Wire.UpgradeRequest(key: null), "400" },
        { "key of 15 bytes", Wire.UpgradeRequest(key: Convert.ToBase64String(new byte[15])), "400" },
        { "key of 17 bytes", Wire.UpgradeRequest(key: Convert.ToBase64String(new byte[17])), "400" },
        { "version 8", Wire.UpgradeRequest(version: "8"), "426" },
        { "POST", Wire.UpgradeRequest(method: "POST"), "405" },
        { "HTTP/1.0", Wire.UpgradeRequest(httpVersion: "HTTP/1.0"), "400" },
        { "no Upgrade header", Wire.UpgradeRequest(upgrade: null), "426" },
        { "not HTTP", "hello\r\n\r\n", "400" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Invalid_request_gets_its_status_and_TCP_closed_without_opening(string what, string request, string status)
    {
        var (server, trace, handlers) = await StartAsync();
        var statusLine = await ExchangeAsync(server, Encoding.ASCII.GetBytes(request));
        Assert.True(statusLine.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{what}: got '{statusLine}'");
        AssertNeverOpened(trace, handlers);
    }

    [Fact]
    public async Task Version_8_is_answered_426_naming_version_13()
    {
        var (server, _, _) = await StartAsync();
        using var peer = await RawPeer.ConnectAsync(server.Endpoint);
        await peer.SendAsync(Wire.Ascii(Wire.UpgradeRequest(version: "8")));
        var response = Encoding.ASCII.GetString(await peer.ReadToEndAsync(Wait));
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", response);
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", response);
    }

    [Fact]
    public async Task Head_over_the_size_limit_gets_431_and_TCP_closed()
    {
        var (server, trace, handlers) = await StartAsync("actorws.handshake.max-head-size = 1 KiB");
        var request = Wire.UpgradeRequest(extraHeaders: $"X-Padding: {new string('a', 2000)}\r\n");
        var statusLine = await ExchangeAsync(server, Encoding.ASCII.GetBytes(request));
        Assert.StartsWith("HTTP/1.1 431 ", statusLine);
        AssertNeverOpened(trace, handlers);
    }

    [Theory]
    [InlineData("a TLS ClientHello", new byte[] { 0x16, 0x03, 0x01, 0x00, 0xF4, 0x01, 0x00, 0x00, 0xF0, 0x03, 0x03 })]
    [InlineData("binary noise", new byte[] { 0x8F, 0x00, 0x13, 0xFE, 0x42 })]
    public async Task Bytes_that_cannot_begin_an_HTTP_request_get_400_at_once_not_at_the_handshake_timeout(string what, byte[] bytes)
    {
        // The handshake timeout is an hour, so an answer that comes at all did not wait for it.
        var (server, trace, handlers) = await StartAsync("actorws.handshake.timeout = 1h");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var statusLine = await ExchangeAsync(server, bytes, TimeSpan.FromSeconds(30));
        Output?.WriteLine($"{what}: '{statusLine}' after {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.StartsWith("HTTP/1.1 400 ", statusLine);
        AssertNeverOpened(trace, handlers);
    }

    [Fact]
    public async Task Head_that_never_completes_times_out_with_408_and_TCP_closed()
    {
        var (server, trace, handlers) = await StartAsync("actorws.handshake.timeout = 300ms");
        var incomplete = Encoding.ASCII.GetBytes("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        var statusLine = await ExchangeAsync(server, incomplete);
        Assert.StartsWith("HTTP/1.1 408 ", statusLine);
        AssertNeverOpened(trace, handlers);
    }

    [Fact]
    public void Refused_request_writes_the_status_then_closes_and_stops_the_whole_tree()
    {
        // The same at actor level, with a probe for the Akka.IO connection.
        var c = new ProbeConnection(this, TestSettings.Create());
        Watch(c.Connection);
        c.Receive(Wire.Ascii(Wire.UpgradeRequest(version: "8")));
        var response = Encoding.ASCII.GetString(c.Tcp.ExpectMsg<Tcp.Write>().Data.ToArray());
        Assert.StartsWith("HTTP/1.1 426 ", response);
        c.Tcp.ExpectMsg<Tcp.Close>();
        ExpectTerminated(c.Connection);
        // The handler was never created: a handler announces itself when it starts, and a child
        // has stopped before its parent's Terminated, so its Started would be queued by now.
        Assert.False(c.App.HasMessages);
    }
}
