using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The client's side of the door (RFC 6455 §4.1): what <see cref="WebSocketClientOptions"/> put in
/// the request, the subprotocol the server chose, a 101 that breaks a rule, and a refusal with its
/// status, headers and body in <see cref="Closed.HandshakeFailure"/> — retried only when the server
/// asks for it (5xx, 408, 429). Against a scripted server (a raw socket that answers what the test
/// says) or against our server with a decider.
/// </summary>
public sealed class ClientHandshakeOptionsTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly LoopbackListener _listener = new();
    private readonly TestProbe _trace;

    public ClientHandshakeOptionsTests(ITestOutputHelper output) : base(AkkaConfig.Patient, output: output)
    {
        _trace = CreateTestProbe();
        Sys.EventStream.Subscribe(_trace.Ref, typeof(LifecycleEvent));
        LifecycleTap.Subscribe(Sys, e => output.WriteLine($"{e.Connection} {e}"));
    }

    protected override void Dispose(bool disposing)
    {
        _listener.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>No reconnect unless asked; with it, short delays (a retry is expected to come).</summary>
    private static WebSocketSettings Settings(bool reconnect = false, string extraHocon = "") => TestSettings.Create(
        (reconnect ? "actorws.reconnect { enabled = on, min-backoff = 50ms, first-delay-max = 100ms, max-backoff = 1s }\n" : "") + extraHocon,
        traceLifecycle: true);

    private (IActorRef Client, TestProbe App) Connect(Uri uri, WebSocketClientOptions? options = null, WebSocketSettings? settings = null)
    {
        var app = CreateTestProbe();
        var client = WebSocketClient.Connect(Sys, uri, app.Ref, settings ?? Settings(), UniqueName.For("ws-client"), options);
        Watch(client);
        return (client, app);
    }

    /// <summary>The next client's request, read and checked as §4.1 says it must be sent; its key for the answer.</summary>
    private async Task<(RawPeer Peer, string Head, string Key)> AcceptRequestAsync()
    {
        var peer = await _listener.AcceptUnansweredAsync(Wait);
        var head = await peer.ReadHeadAsync(Wait) ?? throw new Xunit.Sdk.XunitException("the client closed TCP before its request ended");
        var (problem, key) = UpgradeCheck.Request(head, "/");
        Assert.True(problem is null, problem);
        return (peer, head, key!);
    }

    /// <summary>A 101 for <paramref name="key"/> with extra header lines (CRLF included).</summary>
    private static byte[] SwitchingProtocols(string key, string extra) => Wire.Ascii(
        $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Wire.Accept(key)}\r\n{extra}\r\n");

    private static HandshakeFailedException Failure(Closed closed) =>
        closed.HandshakeFailure ?? throw new Xunit.Sdk.XunitException($"{closed} has no HandshakeFailure");

    private LifecycleEvent ExpectTrace(string prefix) =>
        _trace.FishForMessage<LifecycleEvent>(e => e.Message.StartsWith(prefix, StringComparison.Ordinal), Wait);

    // ------------------------------------------------------------------ subprotocols

    [Fact]
    public async Task Offered_subprotocols_are_in_the_request_and_the_chosen_one_is_in_Opened()
    {
        var (_, app) = Connect(_listener.Uri, new WebSocketClientOptions { Subprotocols = ["chat.v2", "chat.v1"] });
        var (peer, head, key) = await AcceptRequestAsync();
        using (peer)
        {
            // §4.1 item 10: one field, in the order of preference.
            Assert.Contains("\r\nSec-WebSocket-Protocol: chat.v2, chat.v1\r\n", head);
            await peer.SendAsync(SwitchingProtocols(key, "Sec-WebSocket-Protocol: chat.v1\r\n"));
            var opened = app.ExpectMsg<Opened>(Wait);
            Assert.Equal("chat.v1", opened.Subprotocol);
            Assert.Null(opened.Request); // a client's Opened has no request of its own to show
        }
    }

    [Fact]
    public async Task Subprotocols_from_settings_are_offered_when_the_options_name_none()
    {
        var (_, app) = Connect(_listener.Uri, settings: Settings(extraHocon: """actorws.subprotocols = ["mqtt", "wamp"]"""));
        var (peer, head, key) = await AcceptRequestAsync();
        using (peer)
        {
            Assert.Contains("\r\nSec-WebSocket-Protocol: mqtt, wamp\r\n", head);
            await peer.SendAsync(SwitchingProtocols(key, ""));
            // §4.2.2: no Sec-WebSocket-Protocol is the server agreeing to none; the connection opens.
            Assert.Null(app.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task No_subprotocol_offered_sends_no_Sec_WebSocket_Protocol()
    {
        var (_, app) = Connect(_listener.Uri);
        var (peer, head, key) = await AcceptRequestAsync();
        using (peer)
        {
            Assert.DoesNotContain("Sec-WebSocket-Protocol", head);
            await peer.SendAsync(SwitchingProtocols(key, ""));
            Assert.Null(app.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    public static TheoryData<string, string[]?, string> UnrequestedSubprotocols => new()
    {
        { "one not offered", ["chat.v1"], "chat.v9" },
        { "one when none was offered", null, "chat.v1" },
    };

    [Theory]
    [MemberData(nameof(UnrequestedSubprotocols))]
    public async Task Server_choosing_a_subprotocol_not_offered_fails_the_connection_with_1006_and_no_reconnect(string what, string[]? offered, string chosen)
    {
        // Reconnect is on: a 101 that broke a rule would break it again, so it is not retried.
        var (client, app) = Connect(_listener.Uri, new WebSocketClientOptions { Subprotocols = offered }, Settings(reconnect: true));
        var (peer, _, key) = await AcceptRequestAsync();
        using (peer)
        {
            await peer.SendAsync(SwitchingProtocols(key, $"Sec-WebSocket-Protocol: {chosen}\r\n"));
            var closed = app.ExpectMsg<Closed>(Wait);
            Assert.Equal((CloseCodes.AbnormalClosure, false, false), (closed.Code, closed.WasClean, closed.WillReconnect));
            var failure = Failure(closed);
            Assert.True(failure.Kind == ViolationKind.UnrequestedSubprotocol, $"{what}: {failure.Kind}");
            Assert.Null(failure.Refusal);
            Assert.Null(failure.StatusCode);
            ExpectTerminated(client, Wait);
            // The handler never heard of an open connection, nor of a reconnect.
            Assert.False(app.HasMessages);
            // The client closes TCP: the peer reads to its end.
            await peer.DrainUntilClosedAsync(Wait);
        }
    }

    // ------------------------------------------------------------------ refusals

    [Fact]
    public async Task Refusal_401_reaches_the_handler_with_its_status_headers_and_body_and_is_not_retried()
    {
        var (client, app) = Connect(_listener.Uri, settings: Settings(reconnect: true));
        var (peer, _, _) = await AcceptRequestAsync();
        using (peer)
        {
            await peer.SendAsync(Wire.Ascii(
                "HTTP/1.1 401 Unauthorized\r\n" +
                "WWW-Authenticate: Bearer realm=\"chat\"\r\n" +
                "Content-Type: text/plain\r\n" +
                "Content-Length: 15\r\n" +
                "\r\n" +
                "token required\n"));
            var closed = app.ExpectMsg<Closed>(Wait);
            Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WillReconnect));
            var failure = Failure(closed);
            Assert.Equal(ViolationKind.StatusNot101, failure.Kind);
            Assert.Equal(401, failure.StatusCode);
            var refusal = failure.Refusal!;
            Assert.Equal((401, "Unauthorized"), (refusal.StatusCode, refusal.ReasonPhrase));
            Assert.Equal("Bearer realm=\"chat\"", refusal.Headers["www-authenticate"]);
            Assert.Equal("token required\n", refusal.Body.Text);
            Assert.True(refusal.Body.IsComplete);
            // The client stops: a 4xx would be answered the same way again.
            ExpectTerminated(client, Wait);
            Assert.False(app.HasMessages);
        }
    }

    [Theory]
    [InlineData(503, "Service Unavailable")]
    [InlineData(429, "Too Many Requests")]
    public async Task Refusal_the_server_asks_to_retry_is_retried(int status, string phrase)
    {
        var (client, app) = Connect(_listener.Uri, settings: Settings(reconnect: true));
        var (peer, _, _) = await AcceptRequestAsync();
        using (peer)
        {
            await peer.SendAsync(Wire.Ascii($"HTTP/1.1 {status} {phrase}\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"));
            var closed = app.ExpectMsg<Closed>(Wait);
            Assert.True(closed.WillReconnect);
            Assert.Equal(status, Failure(closed).StatusCode);
            Assert.Equal("1", Failure(closed).Refusal!.Headers["Retry-After"]);
            Assert.Equal(1, app.ExpectMsg<Reconnecting>(Wait).Attempt);
        }

        // The retry comes, and this time the server accepts.
        using var again = await _listener.AcceptAsync(Wait);
        app.ExpectMsg<Opened>(Wait);
        client.Tell(new Close(CloseCodes.NormalClosure, "done"));
        Assert.Equal(Opcode.Close, (await again.ReadFrameAsync(Wait))!.Opcode);
    }

    [Fact]
    public async Task Refusal_without_a_Content_Length_is_read_to_the_end_of_the_connection()
    {
        var (client, app) = Connect(_listener.Uri);
        var (peer, _, _) = await AcceptRequestAsync();
        using (peer)
        {
            // RFC 9112 §6.3 item 8: with no framing, the body is everything up to the close.
            await peer.SendAsync(Wire.Ascii("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\nyou are not "));
            // The first part is not taken for the whole body: once the handshake child and then the
            // connection have handled it, the handler has heard nothing.
            ExpectTrace("response received");
            Sys.Identify(client.Path / "handshake");
            client.Sync();
            Assert.False(app.HasMessages);
            await peer.SendAsync(Wire.Ascii("on the list\n"));
            peer.Socket.Shutdown(SocketShutdown.Send);
            var refusal = Failure(app.ExpectMsg<Closed>(Wait)).Refusal!;
            Assert.Equal(403, refusal.StatusCode);
            Assert.Equal("you are not on the list\n", refusal.Body.Text);
            Assert.True(refusal.Body.IsComplete);
        }
    }

    [Fact]
    public async Task Refusal_body_longer_than_the_bound_is_cut_at_the_bound()
    {
        var (_, app) = Connect(_listener.Uri, settings: Settings(extraHocon: "actorws.handshake.max-head-size = 1 KiB"));
        var (peer, _, _) = await AcceptRequestAsync();
        using (peer)
        {
            // The server announces 100 000 bytes and sends them: the client keeps 1 KiB and is done.
            var body = Wire.Text(100_000);
            await peer.SendAsync(Wire.Ascii($"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {body.Length}\r\n\r\n{body[..5000]}"));
            var refusal = Failure(app.ExpectMsg<Closed>(Wait)).Refusal!;
            Assert.Equal(body[..1024], refusal.Body.Text);
            Assert.False(refusal.Body.IsComplete);
        }
    }

    // ------------------------------------------------------------------ the request's extra headers, at our server's door

    [Fact]
    public async Task Extra_headers_origin_and_subprotocols_arrive_at_the_servers_decider()
    {
        var door = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(), UniqueName.For("ws-server"),
            UpgradeDecider.FromActor(door.Ref));
        var (_, app) = Connect(new Uri(server.Uri, "/chat?room=blue"), new WebSocketClientOptions
        {
            Subprotocols = ["chat.v2", "chat.v1"],
            Headers = [new("Authorization", "Bearer abc.def"), new("Cookie", "session=s-1; theme=dark")],
            Origin = "https://app.example",
        });

        var request = door.ExpectMsg<UpgradeRequest>(Wait);
        Assert.True(request.IsUpgrade);
        Assert.Equal("Bearer abc.def", request.Http.Headers["Authorization"]);
        Assert.Equal("s-1", request.Http.Cookies["session"]);
        Assert.Equal("https://app.example", request.Http.Origin);
        Assert.Equal("blue", request.Http.Query["room"]);
        Assert.Equal(new[] { "chat.v2", "chat.v1" }, request.Http.Subprotocols);
        door.Reply(new UpgradeDecision.Accept("chat.v1"));

        var opened = app.ExpectMsg<Opened>(Wait);
        Assert.Equal("chat.v1", opened.Subprotocol);
        opened.Connection.Tell(new SendText("hello"));
        Assert.Equal("hello", app.ExpectMsg<TextReceived>(Wait).Text);
    }

    [Fact]
    public async Task Our_servers_rejection_reaches_our_client_whole()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(), UniqueName.For("ws-server"),
            UpgradeDecider.FromFunction(r => r.Http.Headers["Authorization"] is null
                ? new UpgradeDecision.Reject(401, "no credentials", [new("WWW-Authenticate", "Bearer")], Body: "log in first\n")
                : new UpgradeDecision.Accept()));
        var (client, app) = Connect(server.Uri, settings: Settings(reconnect: true));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.False(closed.WillReconnect);
        var refusal = Failure(closed).Refusal!;
        Assert.Equal(401, refusal.StatusCode);
        Assert.Equal("Bearer", refusal.Headers["WWW-Authenticate"]);
        Assert.Equal("log in first\n", refusal.Body.Text);
        ExpectTerminated(client, Wait);
    }

    // ------------------------------------------------------------------ options that cannot be sent

    public static TheoryData<string, WebSocketClientOptions> BadOptions => new()
    {
        { "CR LF in a header value", new() { Headers = [new("Authorization", "Bearer x\r\nX-Evil: 1")] } },
        { "LF in a header value", new() { Headers = [new("Cookie", "a=b\nc=d")] } },
        { "a header name that is no token", new() { Headers = [new("Bad Name", "v")] } },
        { "a reserved header", new() { Headers = [new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")] } },
        { "Sec-WebSocket-Protocol as a header", new() { Headers = [new("Sec-WebSocket-Protocol", "chat")] } },
        { "CR LF in the origin", new() { Origin = "https://a.example\r\nX-Evil: 1" } },
        { "a subprotocol with a space", new() { Subprotocols = ["chat v1"] } },
        { "an empty subprotocol", new() { Subprotocols = [""] } },
        { "a subprotocol offered twice", new() { Subprotocols = ["chat", "chat"] } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_that_cannot_be_sent_are_an_ArgumentException_from_Connect(string what, WebSocketClientOptions options)
    {
        var app = CreateTestProbe();
        var name = UniqueName.For("ws-client");
        var e = Assert.ThrowsAny<ArgumentException>(() => WebSocketClient.Connect(Sys, _listener.Uri, app.Ref, Settings(), name, options));
        Output?.WriteLine($"{what}: {e.Message}");
        // Nothing was started: no actor has the name, and nothing tried to connect.
        Assert.Null(Sys.Identify(ActorPath.Parse($"akka://{Sys.Name}/user/{name}")));
        Assert.False(app.HasMessages);
    }

    // ------------------------------------------------------------------ the lifecycle log

    [Fact]
    public async Task Lifecycle_log_shows_the_offered_and_the_chosen_subprotocol()
    {
        var (_, app) = Connect(_listener.Uri, new WebSocketClientOptions { Subprotocols = ["chat.v2", "chat.v1"] });
        var (peer, _, key) = await AcceptRequestAsync();
        using (peer)
        {
            Assert.EndsWith(", subprotocols offered: chat.v2, chat.v1)", ExpectTrace("GET / HTTP/1.1 (upgrade request").Message);
            await peer.SendAsync(SwitchingProtocols(key, "Sec-WebSocket-Protocol: chat.v1\r\n"));
            Assert.EndsWith(", subprotocol 'chat.v1'", ExpectTrace("Sec-WebSocket-Accept verified").Message);
            app.ExpectMsg<Opened>(Wait);
        }
    }

    [Fact]
    public async Task Lifecycle_log_shows_the_servers_refusal()
    {
        var (_, app) = Connect(_listener.Uri);
        var (peer, _, _) = await AcceptRequestAsync();
        using (peer)
        {
            await peer.SendAsync(Wire.Ascii("HTTP/1.1 401 Unauthorized\r\nContent-Length: 15\r\n\r\ntoken required\n"));
            var refused = ExpectTrace("<- 401");
            Assert.Equal("<- 401 Unauthorized: token required (the server refused the upgrade, RFC 6455 §4.1)", refused.Message);
            Assert.Equal(Direction.Error, refused.Direction);
            app.ExpectMsg<Closed>(Wait);
        }
    }
}
