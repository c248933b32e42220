using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The server's door (<see cref="UpgradeDecider"/>) against a real server on a loopback port, driven
/// by a raw socket: every decision — accept (subprotocol, headers, handler, state), reject, a plain
/// HTTP answer — and every way a decider can let a request down (throws, fails, accepts what it
/// cannot) reaches the wire as it should, and the server goes on serving after each.
/// </summary>
public sealed class UpgradeDecisionTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>The path on which every test's decider accepts: the connection that shows the server still serves.</summary>
    private const string Ok = "/ok";

    private readonly TestProbe _handlers;
    private readonly TestProbe _trace;

    public UpgradeDecisionTests(ITestOutputHelper output) : base(AkkaConfig.Patient, output: output)
    {
        _handlers = CreateTestProbe();
        _trace = CreateTestProbe();
        Sys.EventStream.Subscribe(_trace.Ref, typeof(LifecycleEvent));
        LifecycleTap.Subscribe(Sys, e => output.WriteLine($"{e.Connection} {e}"));
    }

    private Task<WebSocketServer> StartAsync(UpgradeDecider? decider, string extraHocon = "") =>
        WebSocketServer.StartAsync(Sys, ForwardingHandler.Props(_handlers.Ref), TestSettings.Create(extraHocon, traceLifecycle: true),
            UniqueName.For("ws-server"), decider);

    /// <summary>A decider that accepts <see cref="Ok"/> as is and decides every other request with <paramref name="decide"/>.</summary>
    private static UpgradeDecider Door(Func<UpgradeRequest, UpgradeDecision> decide) =>
        UpgradeDecider.FromFunction(r => r.Http.Path == Ok ? new UpgradeDecision.Accept() : decide(r));

    /// <summary>Sends the request and returns every byte until the server closes TCP.</summary>
    private static async Task<string> ExchangeAsync(WebSocketServer server, string request)
    {
        using var peer = await RawPeer.ConnectAsync(server.Endpoint);
        await peer.SendAsync(Wire.Ascii(request));
        return Encoding.UTF8.GetString(await peer.ReadToEndAsync(Wait));
    }

    /// <summary>Sends an upgrade request and returns the 101's head, checked against the key.</summary>
    private static async Task<(RawPeer Peer, string Head)> UpgradeAsync(WebSocketServer server, string path = "/chat", string extraHeaders = "")
    {
        var peer = await RawPeer.ConnectAsync(server.Endpoint);
        await peer.SendAsync(Wire.Ascii(Wire.UpgradeRequest(path, extraHeaders: extraHeaders)));
        var head = await peer.ReadHeadAsync(Wait) ?? throw new Xunit.Sdk.XunitException("TCP closed before the response head ended");
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains($"Sec-WebSocket-Accept: {Wire.SampleAccept}\r\n", head);
        return (peer, head);
    }

    /// <summary>The server still opens connections: a new one on <see cref="Ok"/> reaches OPEN and echoes nothing wrong.</summary>
    private async Task AssertStillServesAsync(WebSocketServer server)
    {
        using var peer = await RawPeer.OpenAsync(new Uri(server.Uri, Ok), server.Endpoint);
        _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
        Assert.Equal(Ok, _handlers.ExpectMsg<Opened>(Wait).Path);
    }

    private static string StatusLine(string response) => response.Split("\r\n")[0];

    /// <summary>The trace line that starts with <paramref name="prefix"/>, events before it skipped.</summary>
    private LifecycleEvent ExpectTrace(string prefix) =>
        _trace.FishForMessage<LifecycleEvent>(e => e.Message.StartsWith(prefix, StringComparison.Ordinal), Wait);

    private TestProbe LogProbe<T>() where T : LogEvent
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(T));
        return probe;
    }

    // ------------------------------------------------------------------ accept

    [Fact]
    public async Task Accept_without_a_subprotocol_opens_with_none_and_the_101_names_none()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Accept()));
        var (peer, head) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: chat\r\n");
        using (peer)
        {
            // §4.2.2: no Sec-WebSocket-Protocol means the server agrees to none of the offer.
            Assert.DoesNotContain("Sec-WebSocket-Protocol", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Null(_handlers.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task Accept_with_a_chosen_subprotocol_sends_it_in_the_101_and_in_Opened()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Accept("superchat")));
        var (peer, head) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: chat, superchat\r\n");
        using (peer)
        {
            Assert.Contains("Sec-WebSocket-Protocol: superchat\r\n", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Equal("superchat", _handlers.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task Without_a_decider_the_server_picks_the_clients_most_preferred_subprotocol_it_speaks()
    {
        // The server prefers v2, the client v1: the client's preference wins (§4.2.2).
        var server = await StartAsync(null, """actorws.subprotocols = ["v2.chat", "v1.chat"]""");
        var (peer, head) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: v0.chat, v1.chat, v2.chat\r\n");
        using (peer)
        {
            Assert.Contains("Sec-WebSocket-Protocol: v1.chat\r\n", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Equal("v1.chat", _handlers.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task Without_a_decider_an_offer_the_server_does_not_speak_opens_with_no_subprotocol()
    {
        var server = await StartAsync(null, """actorws.subprotocols = ["v2.chat"]""");
        var (peer, head) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: mqtt\r\n");
        using (peer)
        {
            Assert.DoesNotContain("Sec-WebSocket-Protocol", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Null(_handlers.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task A_decider_sees_the_default_subprotocol_and_an_accept_naming_none_uses_it()
    {
        var asked = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromFunction(r =>
        {
            asked.Tell(r);
            return new UpgradeDecision.Accept();
        }), """actorws.subprotocols = ["v2.chat", "v1.chat"]""");
        var (peer, head) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n");
        using (peer)
        {
            var request = asked.ExpectMsg<UpgradeRequest>(Wait);
            Assert.True(request.IsUpgrade);
            Assert.Equal("v1.chat", request.DefaultSubprotocol);
            Assert.Equal(new[] { "v1.chat", "v2.chat" }, request.Http.Subprotocols);
            Assert.Contains("Sec-WebSocket-Protocol: v1.chat\r\n", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Equal("v1.chat", _handlers.ExpectMsg<Opened>(Wait).Subprotocol);
        }
    }

    [Fact]
    public async Task Extra_headers_of_an_accept_appear_in_the_101()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Accept(Headers:
            [new("Set-Cookie", "session=s1; HttpOnly"), new("X-Served-By", "node-7")])));
        var (peer, head) = await UpgradeAsync(server);
        using (peer)
        {
            Assert.Contains("Set-Cookie: session=s1; HttpOnly\r\n", head);
            Assert.Contains("X-Served-By: node-7\r\n", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            _handlers.ExpectMsg<Opened>(Wait);
        }
    }

    [Fact]
    public async Task Accept_with_handler_Props_starts_that_handler_instead_of_the_servers()
    {
        var special = CreateTestProbe();
        var server = await StartAsync(Door(_ => new UpgradeDecision.Accept(Handler: ForwardingHandler.Props(special.Ref))));
        var (peer, _) = await UpgradeAsync(server, "/special");
        using (peer)
        {
            special.ExpectMsg<ForwardingHandler.Started>(Wait);
            Assert.Equal("/special", special.ExpectMsg<Opened>(Wait).Path);
            // A message reaches the connection's own handler.
            await peer.SendAsync(peer.Text("to the special one"));
            Assert.Equal("to the special one", special.ExpectMsg<TextReceived>(Wait).Text);
        }
        // The server's handler Props are still used where the decider names none: the Opened of
        // that connection is the first thing the server's handler probe gets, so it got nothing before.
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Opened_carries_the_deciders_state_and_the_request_with_its_query_headers_and_cookies()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(r =>
            new UpgradeDecision.Accept(State: $"user:{r.Http.Cookies["session"]}")));
        var (peer, _) = await UpgradeAsync(server, "/chat?room=blue&greeting=hello%20there",
            "X-Token: t-123\r\nCookie: session=abc; theme=dark\r\n");
        using (peer)
        {
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            var opened = _handlers.ExpectMsg<Opened>(Wait);
            Assert.Equal("user:abc", opened.State);
            var request = opened.Request ?? throw new Xunit.Sdk.XunitException("a server's Opened has no Request");
            Assert.Equal("/chat", request.Path);
            Assert.Equal("blue", request.Query["room"]);
            Assert.Equal("hello there", request.Query["greeting"]);
            Assert.Equal("t-123", request.Headers["x-token"]); // header names without case (RFC 9110 §5.1)
            Assert.Equal("dark", request.Cookies["theme"]);
            Assert.Empty(opened.Extensions);
        }
    }

    // ------------------------------------------------------------------ reject and respond

    [Fact]
    public async Task Reject_sends_its_status_headers_and_body_and_closes_TCP()
    {
        var server = await StartAsync(Door(_ => new UpgradeDecision.Reject(401, "no token",
            [new("WWW-Authenticate", "Bearer realm=\"chat\"")], Body: "token required\n")));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.Equal(
            "HTTP/1.1 401 Unauthorized\r\n" +
            "Connection: close\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Length: 15\r\n" +
            "WWW-Authenticate: Bearer realm=\"chat\"\r\n" +
            "\r\n" +
            "token required\n", response);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Reject_without_a_body_sends_its_reason()
    {
        var server = await StartAsync(Door(_ => new UpgradeDecision.Reject(403, "origin not allowed")));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", response);
        Assert.EndsWith("\r\n\r\norigin not allowed\n", response);
    }

    private static UpgradeDecider HealthCheck() => Door(r => r.Http.Path == "/healthz" && !r.IsUpgrade
        ? new UpgradeDecision.Respond(200, "ok\n", Headers: [new("Cache-Control", "no-store")])
        : new UpgradeDecision.Reject(404, "not found"));

    [Fact]
    public async Task Plain_GET_of_a_health_check_gets_the_deciders_response()
    {
        var server = await StartAsync(HealthCheck());
        var response = await ExchangeAsync(server, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal(
            "HTTP/1.1 200 OK\r\n" +
            "Connection: close\r\n" +
            "Content-Length: 3\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Cache-Control: no-store\r\n" +
            "\r\n" +
            "ok\n", response);
        // No connection was opened for it.
        _handlers.ExpectNoMsg(TimeSpan.Zero);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task HEAD_of_a_health_check_gets_the_same_head_as_GET_and_no_body()
    {
        var server = await StartAsync(HealthCheck());
        var get = await ExchangeAsync(server, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var head = await ExchangeAsync(server, "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        // RFC 9110 §9.3.2: the head a GET would get (its Content-Length included), and nothing after it.
        Assert.Equal(get[..(get.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)], head);
        Assert.Contains("Content-Length: 3\r\n", head);
    }

    [Theory]
    [InlineData("GET", "426")]
    [InlineData("POST", "405")]
    public async Task Accept_of_a_request_that_asks_for_no_WebSocket_is_refused_with_a_warning(string method, string status)
    {
        var warnings = LogProbe<Warning>();
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Accept()));
        var response = await ExchangeAsync(server, $"{method} /page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.StartsWith($"HTTP/1.1 {status} ", StatusLine(response));
        warnings.FishForMessage<Warning>(w => w.Message.ToString()!.Contains("which asks for no WebSocket"), Wait);
        _handlers.ExpectNoMsg(TimeSpan.Zero);
        await AssertStillServesAsync(server);
    }

    // ------------------------------------------------------------------ a decider that lets the request down

    [Fact]
    public async Task Decision_that_throws_answers_500_and_the_server_goes_on()
    {
        var errors = LogProbe<Error>();
        var server = await StartAsync(Door(_ => throw new InvalidOperationException("door broke")));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", response);
        // The client learns nothing of the exception; the log does.
        Assert.DoesNotContain("door broke", response);
        var error = errors.ExpectMsg<Error>(Wait);
        Assert.Equal("door broke", Assert.IsType<InvalidOperationException>(error.Cause).Message);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Decision_task_that_fails_answers_500_and_the_server_goes_on()
    {
        var errors = LogProbe<Error>();
        var server = await StartAsync(UpgradeDecider.FromFunction(async (r, ct) =>
        {
            if (r.Http.Path == Ok)
                return new UpgradeDecision.Accept();
            await Task.Yield(); // fails later, on another thread
            throw new TimeoutException("user store unreachable");
        }));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.StartsWith("HTTP/1.1 500 ", response);
        Assert.Equal("user store unreachable", Assert.IsType<TimeoutException>(errors.ExpectMsg<Error>(Wait).Cause).Message);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Decision_function_that_returns_a_null_task_answers_500()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction((r, ct) => r.Http.Path == Ok
            ? Task.FromResult<UpgradeDecision>(new UpgradeDecision.Accept())
            : null!));
        Assert.StartsWith("HTTP/1.1 500 ", await ExchangeAsync(server, Wire.UpgradeRequest()));
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Decider_choosing_a_subprotocol_the_client_did_not_offer_answers_500()
    {
        // A 101 with it would make the client fail the connection (§4.1): the server says it is its own fault.
        var errors = LogProbe<Error>();
        var server = await StartAsync(Door(_ => new UpgradeDecision.Accept("superchat")));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest(extraHeaders: "Sec-WebSocket-Protocol: chat\r\n"));
        Assert.StartsWith("HTTP/1.1 500 ", response);
        Assert.DoesNotContain("101", StatusLine(response));
        errors.FishForMessage<Error>(e => e.Message.ToString()!.Contains("superchat"), Wait);
        _handlers.ExpectNoMsg(TimeSpan.Zero);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Decider_choosing_a_subprotocol_when_none_was_offered_answers_500()
    {
        var server = await StartAsync(Door(_ => new UpgradeDecision.Accept("chat")));
        Assert.StartsWith("HTTP/1.1 500 ", await ExchangeAsync(server, Wire.UpgradeRequest()));
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Decision_that_never_comes_answers_503_at_the_timeout_and_the_server_goes_on()
    {
        // The exact moment is UpgradeDecisionTimingTests' (virtual time); here, that a real server
        // answers and keeps serving while the task it gave up on is still pending. The timeout is
        // also the next handshake's: long enough for it on a loaded machine (300 ms was not: the
        // second connection got a 408).
        var warnings = LogProbe<Warning>();
        var never = new TaskCompletionSource<UpgradeDecision>();
        var server = await StartAsync(UpgradeDecider.FromFunction((r, _) => r.Http.Path == Ok
            ? Task.FromResult<UpgradeDecision>(new UpgradeDecision.Accept())
            : never.Task), "actorws.handshake.timeout = 3s");
        var response = await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response);
        warnings.FishForMessage<Warning>(w => w.Message.ToString()!.Contains("did not decide within the handshake timeout"), Wait);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Dead_decision_actor_answers_503_and_the_server_answers_every_request_so()
    {
        var door = CreateTestProbe();
        Watch(door.Ref);
        Sys.Stop(door.Ref);
        ExpectTerminated(door.Ref);
        // An hour's handshake timeout: an answer at all did not wait for it.
        var server = await StartAsync(UpgradeDecider.FromActor(door.Ref), "actorws.handshake.timeout = 1h");
        for (int i = 0; i < 3; i++)
            Assert.StartsWith("HTTP/1.1 503 ", await ExchangeAsync(server, Wire.UpgradeRequest()));
        _handlers.ExpectNoMsg(TimeSpan.Zero);
    }

    // ------------------------------------------------------------------ an actor decides

    [Fact]
    public async Task Actor_decider_gets_the_request_and_its_accept_opens_the_connection()
    {
        var door = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromActor(door.Ref));
        var opening = UpgradeAsync(server, "/chat?user=ann", "Sec-WebSocket-Protocol: chat\r\n");
        var request = await door.ExpectMsgAsync<UpgradeRequest>(Wait);
        Assert.Equal("ann", request.Http.Query["user"]);
        Assert.NotNull(request.RemoteAddress);
        Assert.Equal<System.Net.EndPoint?>(server.Endpoint, request.LocalAddress);
        door.Reply(new UpgradeDecision.Accept("chat", State: "ann"));
        var (peer, head) = await opening;
        using (peer)
        {
            Assert.Contains("Sec-WebSocket-Protocol: chat\r\n", head);
            _handlers.ExpectMsg<ForwardingHandler.Started>(Wait);
            var opened = _handlers.ExpectMsg<Opened>(Wait);
            Assert.Equal(("chat", "ann"), (opened.Subprotocol, opened.State));
        }
    }

    [Fact]
    public async Task Actor_decider_that_replies_a_failure_gets_500_and_the_server_goes_on()
    {
        var door = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromActor(door.Ref));
        var exchange = ExchangeAsync(server, Wire.UpgradeRequest());
        await door.ExpectMsgAsync<UpgradeRequest>(Wait);
        door.Reply(new Status.Failure(new InvalidOperationException("no answer from the user store")));
        Assert.StartsWith("HTTP/1.1 500 ", await exchange);

        var opening = AssertStillServesAsync(server);
        await door.ExpectMsgAsync<UpgradeRequest>(Wait);
        door.Reply(new UpgradeDecision.Accept());
        await opening;
    }

    [Fact]
    public async Task Actor_decider_rejecting_gets_its_status_to_the_client()
    {
        var door = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromActor(door.Ref));
        var exchange = ExchangeAsync(server, Wire.UpgradeRequest());
        await door.ExpectMsgAsync<UpgradeRequest>(Wait);
        door.Reply(new UpgradeDecision.Reject(429, "slow down", [new("Retry-After", "30")]));
        var response = await exchange;
        Assert.StartsWith("HTTP/1.1 429 Too Many Requests\r\n", response);
        Assert.Contains("Retry-After: 30\r\n", response);
    }

    // ------------------------------------------------------------------ requests the decider never sees

    [Theory]
    [InlineData("a space inside a name", "Sec-WebSocket-Protocol: chat, super chat\r\n")]
    [InlineData("a quoted name", "Sec-WebSocket-Protocol: \"chat\"\r\n")]
    [InlineData("a name offered twice", "Sec-WebSocket-Protocol: chat, chat\r\n")]
    [InlineData("no name at all", "Sec-WebSocket-Protocol: ,\r\n")]
    public async Task Malformed_subprotocol_offer_gets_400_and_the_decider_is_not_asked(string what, string header)
    {
        var asked = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromFunction(r =>
        {
            asked.Tell(r.Http.Path);
            return new UpgradeDecision.Accept();
        }));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest(extraHeaders: header));
        Assert.True(StatusLine(response).StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"{what}: got '{StatusLine(response)}'");
        // The decider would have been asked before the answer was written.
        Assert.False(asked.HasMessages, $"{what}: the decider was asked");
    }

    [Fact]
    public async Task Thousands_of_offered_subprotocols_are_bounded_by_the_head_size_with_431()
    {
        var asked = CreateTestProbe();
        var server = await StartAsync(UpgradeDecider.FromFunction(r =>
        {
            asked.Tell(r.Http.Path);
            return new UpgradeDecision.Accept();
        }), "actorws.handshake.max-head-size = 8 KiB");
        var offer = string.Join(", ", Enumerable.Range(0, 5000).Select(i => $"proto{i}"));
        var response = await ExchangeAsync(server, Wire.UpgradeRequest(extraHeaders: $"Sec-WebSocket-Protocol: {offer}\r\n"));
        Assert.StartsWith("HTTP/1.1 431 ", StatusLine(response));
        Assert.False(asked.HasMessages);

        var opening = AssertStillServesAsync(server);
        Assert.Equal(Ok, await asked.ExpectMsgAsync<string>(Wait));
        await opening;
    }

    // ------------------------------------------------------------------ the lifecycle log

    [Fact]
    public async Task Lifecycle_log_shows_the_offer_the_decision_and_the_chosen_subprotocol()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Accept("superchat", State: "ann")));
        var (peer, _) = await UpgradeAsync(server, extraHeaders: "Sec-WebSocket-Protocol: chat, superchat\r\n");
        using (peer)
        {
            Assert.Equal("GET /chat HTTP/1.1, subprotocols offered: chat, superchat", ExpectTrace("GET /chat").Message);
            Assert.Equal("asking the decision function to decide the upgrade", ExpectTrace("asking ").Message);
            // The state's type, never its value: it may be a user's credentials.
            Assert.Equal("decision: accepted with subprotocol 'superchat', with a String for the handler", ExpectTrace("decision: ").Message);
            Assert.Contains(", subprotocol 'superchat'): handshake complete", ExpectTrace("101 Switching Protocols").Message);
        }
    }

    [Fact]
    public async Task Lifecycle_log_shows_a_rejection_with_its_status_and_why()
    {
        var server = await StartAsync(UpgradeDecider.FromFunction(_ => new UpgradeDecision.Reject(403, "origin not allowed")));
        await ExchangeAsync(server, Wire.UpgradeRequest());
        Assert.Equal("decision: rejected with 403 Forbidden: origin not allowed", ExpectTrace("decision: ").Message);
        var refused = ExpectTrace("-> 403");
        Assert.Equal(Direction.Error, refused.Direction);
    }

    [Fact]
    public async Task Lifecycle_log_shows_a_plain_HTTP_answer_and_no_upgrade()
    {
        var server = await StartAsync(HealthCheck());
        await ExchangeAsync(server, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal("GET /healthz HTTP/1.1 (no WebSocket upgrade: plain HTTP)", ExpectTrace("GET /healthz").Message);
        Assert.Equal("asking the decision function to decide the request", ExpectTrace("asking ").Message);
        Assert.Equal("decision: answered GET /healthz with 200 OK (plain HTTP, 3 bytes of body)", ExpectTrace("decision: ").Message);
    }
}
