using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The client's <see cref="ReconnectSupervisor"/> in virtual time (RFC 6455 §7.2.3): every lost
/// connection is followed by <see cref="Reconnecting"/>, the next attempt starts exactly when its
/// delay has passed, the delays double with jitter up to the cap, a connection that stayed up resets
/// them, and a close the application asks for ends the client.
/// </summary>
public sealed class ReconnectTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    /// <summary>For "nothing happened" while virtual time stands still: nothing can, so it is short.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);

    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100), FirstMax = TimeSpan.FromMilliseconds(500), Max = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(5);
    private const double RandomFactor = 0.2;

    // Traced: the lifecycle log goes to the test's output (shown when a test fails).
    private static readonly WebSocketSettings Settings = TestSettings.Create("""
        actorws.reconnect { enabled = on, min-backoff = 100ms, first-delay-max = 500ms, max-backoff = 2s, random-factor = 0.2, reset-after = 5s }
        """, traceLifecycle: true);

    /// <summary>Bound and never listening: each connect to its port is refused at once, and no other
    /// process can take the port while the test runs.</summary>
    private readonly Socket _refusing = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ReconnectTests(ITestOutputHelper output) : base(AkkaConfig.VirtualTime, output: output) =>
        LifecycleTap.Subscribe(Sys, e => output.WriteLine($"{e.Connection} {e}"));

    protected override void Dispose(bool disposing)
    {
        _refusing.Dispose();
        base.Dispose(disposing);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>A client, watched, of a port that refuses every connect, once its first attempt has failed.</summary>
    private (IActorRef Client, TestProbe App, Reconnecting First) ClientOfARefusingPort()
    {
        _refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var app = CreateTestProbe();
        var client = WebSocketClient.Connect(Sys, new Uri($"ws://127.0.0.1:{((IPEndPoint)_refusing.LocalEndPoint!).Port}/"), app.Ref, Settings);
        Watch(client);
        return (client, app, ExpectLostThenReconnecting(app));
    }

    /// <summary>A client, watched, of an echo server whose handler tells <c>ServerSide</c> its events.</summary>
    private async Task<(IActorRef Client, TestProbe App, TestProbe ServerSide)> ClientOfAnEchoServer()
    {
        var serverSide = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(serverSide.Ref), Settings);
        var app = CreateTestProbe();
        var client = WebSocketClient.Connect(Sys, server.Uri, app.Ref, Settings);
        Watch(client);
        return (client, app, serverSide);
    }

    private static Reconnecting ExpectLostThenReconnecting(TestProbe app)
    {
        var lost = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false, true), (lost.Code, lost.WasClean, lost.WillReconnect));
        return app.ExpectMsg<Reconnecting>(Wait);
    }

    /// <summary>Advances virtual time by <paramref name="delay"/>, checking that no attempt starts a
    /// millisecond before it has passed.</summary>
    private void AdvanceThrough(TimeSpan delay, TestProbe app)
    {
        Scheduler.Advance(delay - OneMs);
        app.ExpectNoMsg(Quiet);
        Scheduler.Advance(OneMs);
    }

    private static TimeSpan Capped(TimeSpan delay) => delay < Max ? delay : Max;

    [Fact]
    public void First_reconnect_delay_is_random_within_its_bounds_and_the_next_attempt_waits_exactly_that_long()
    {
        var (_, app, first) = ClientOfARefusingPort();
        Assert.Equal(1, first.Attempt);
        Assert.InRange(first.Delay, Min, FirstMax);

        AdvanceThrough(first.Delay, app);
        Assert.Equal(2, ExpectLostThenReconnecting(app).Attempt);
    }

    [Fact]
    public void Later_reconnect_delays_double_the_first_with_jitter_up_to_max_backoff()
    {
        var (_, app, first) = ClientOfARefusingPort();
        var delay = first.Delay;
        for (int n = 2; n <= 7; n++)
        {
            AdvanceThrough(delay, app);
            var next = ExpectLostThenReconnecting(app);
            Assert.Equal(n, next.Attempt);
            var doubled = first.Delay * Math.Pow(2, n - 1);
            Assert.InRange(next.Delay, Capped(doubled), Capped(doubled * (1 + RandomFactor)));
            delay = next.Delay;
        }
        // At least 100 ms doubled six times is 6.4 s: reconnect #7 waits the cap exactly.
        Assert.Equal(Max, delay);
    }

    /// <summary>A client of a server whose door refuses every upgrade with <paramref name="status"/>.</summary>
    private async Task<(IActorRef Client, TestProbe App)> ClientOfARefusingServer(int status, string? retryAfter = null)
    {
        var decider = UpgradeDecider.FromFunction(_ => new UpgradeDecision.Reject(status, "refused by the test",
            retryAfter is null ? null : [new("Retry-After", retryAfter)]));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(TestActor), Settings, UniqueName.For("refusing"), decider);
        var app = CreateTestProbe();
        var client = WebSocketClient.Connect(Sys, server.Uri, app.Ref, Settings);
        Watch(client);
        return (client, app);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task A_refusal_with_a_4xx_ends_the_client_instead_of_reconnecting(int status)
    {
        var (client, app) = await ClientOfARefusingServer(status);
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((status, false), (closed.HandshakeFailure?.StatusCode, closed.WillReconnect));
        ExpectTerminated(client, Wait);
        Assert.False(app.HasMessages);
    }

    [Fact]
    public async Task A_503_with_retry_after_is_retried_no_sooner_than_the_server_asks()
    {
        var (_, app) = await ClientOfARefusingServer(503, retryAfter: "1");
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((503, true), (closed.HandshakeFailure?.StatusCode, closed.WillReconnect));
        // The first delay is at most first-delay-max (500 ms): the server's 1 s wins.
        Assert.Equal(new Reconnecting(1, TimeSpan.FromSeconds(1)), app.ExpectMsg<Reconnecting>(Wait));
        AdvanceThrough(TimeSpan.FromSeconds(1), app);
        Assert.Equal(503, app.ExpectMsg<Closed>(Wait).HandshakeFailure?.StatusCode);
    }

    [Fact]
    public async Task A_retry_after_longer_than_max_backoff_waits_max_backoff()
    {
        var (_, app) = await ClientOfARefusingServer(503, retryAfter: "3600");
        Assert.True(app.ExpectMsg<Closed>(Wait).WillReconnect);
        Assert.Equal(new Reconnecting(1, Max), app.ExpectMsg<Reconnecting>(Wait));
    }

    [Fact]
    public async Task A_connection_up_for_reset_after_makes_the_next_reconnect_a_first_one_again()
    {
        var (client, app, serverSide) = await ClientOfAnEchoServer();

        Reconnecting StayUpThenDrop(TimeSpan up)
        {
            app.ExpectMsg<Opened>(Wait);
            var serverConnection = serverSide.ExpectMsg<Opened>(Wait).Connection;
            client.Sync(); // it has heard that the connection is OPEN and timed the stable period from then
            if (up > TimeSpan.Zero)
                Scheduler.Advance(up);
            client.Sync(); // and has handled the end of that period, if it came
            serverConnection.Tell(Abort.Instance);
            serverSide.ExpectMsg<Closed>(Wait);
            return ExpectLostThenReconnecting(app);
        }

        var first = StayUpThenDrop(TimeSpan.Zero);
        Assert.Equal(1, first.Attempt);
        Scheduler.Advance(first.Delay);

        // Up for a millisecond less than reset-after: the count goes on.
        var second = StayUpThenDrop(ResetAfter - OneMs);
        Assert.Equal(2, second.Attempt);
        Assert.InRange(second.Delay, first.Delay * 2, first.Delay * 2 * (1 + RandomFactor));
        Scheduler.Advance(second.Delay);

        // Up for reset-after: reconnect #1 again, with a delay in the first range.
        var afterReset = StayUpThenDrop(ResetAfter);
        Assert.Equal(1, afterReset.Attempt);
        Assert.InRange(afterReset.Delay, Min, FirstMax);
    }

    [Fact]
    public async Task Commands_sent_to_the_client_go_to_its_connection_of_the_moment_across_a_reconnect()
    {
        var (client, app, serverSide) = await ClientOfAnEchoServer();

        app.ExpectMsg<Opened>(Wait);
        client.Tell(new SendText("first connection"));
        Assert.Equal("first connection", app.ExpectMsg<TextReceived>(Wait).Text);
        serverSide.ExpectMsg<Opened>(Wait).Connection.Tell(Abort.Instance);
        Scheduler.Advance(ExpectLostThenReconnecting(app).Delay);

        app.ExpectMsg<Opened>(Wait);
        client.Tell(new SendText("second connection"));
        Assert.Equal("second connection", app.ExpectMsg<TextReceived>(Wait).Text);

        client.Tell(new Close(CloseCodes.NormalClosure, "done"));
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "", true), app.ExpectMsg<Closed>(Wait)); // the server echoes the code alone
        ExpectTerminated(client, Wait);
        Scheduler.Advance(Max);
        app.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Close_while_waiting_to_reconnect_stops_the_client_and_ends_the_announced_attempt_with_1006()
    {
        var (client, app, announced) = ClientOfARefusingPort();

        client.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        Assert.Contains("before reconnect #1", closed.Reason);
        ExpectTerminated(client, Wait);

        Scheduler.Advance(announced.Delay + Max);
        app.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Messages_sent_while_waiting_to_reconnect_go_to_dead_letters_and_the_reconnect_goes_on()
    {
        var (client, app, announced) = ClientOfARefusingPort();
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));

        client.Tell(new SendText("nobody to send it"), app.Ref);
        var dead = deadLetters.FishForMessage<DeadLetter>(d => d.Message is SendText, Wait);
        Assert.Equal(("nobody to send it", app.Ref, client), (((SendText)dead.Message).Text, dead.Sender, dead.Recipient));

        Scheduler.Advance(announced.Delay);
        Assert.Equal(2, ExpectLostThenReconnecting(app).Attempt);
    }

    [Fact]
    public async Task A_close_the_application_asks_for_ends_the_client_even_with_a_code_that_would_reconnect()
    {
        var (client, app, _) = await ClientOfAnEchoServer();

        app.ExpectMsg<Opened>(Wait).Connection.Tell(new Close(CloseCodes.GoingAway, "leaving"));
        var closed = app.ExpectMsg<Closed>(Wait);
        // WillReconnect false: the client's last event, though a server's 1001 would be followed by a reconnect.
        Assert.Equal(new Closed(CloseCodes.GoingAway, "", true, WillReconnect: false), closed);
        Assert.True(ConnectionActor.ShouldReconnect(closed));
        ExpectTerminated(client, Wait);
        Scheduler.Advance(Max);
        app.ExpectNoMsg(Quiet);
    }

    [Fact]
    public async Task An_abort_the_application_asks_for_ends_the_client_instead_of_reconnecting()
    {
        var (client, app, _) = await ClientOfAnEchoServer();

        app.ExpectMsg<Opened>(Wait).Connection.Tell(Abort.Instance);
        Assert.Equal(CloseCodes.AbnormalClosure, app.ExpectMsg<Closed>(Wait).Code);
        ExpectTerminated(client, Wait);
        Scheduler.Advance(Max);
        app.ExpectNoMsg(Quiet);
    }

    [Fact]
    public async Task A_close_before_the_connection_opens_ends_the_client_instead_of_reconnecting()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var app = CreateTestProbe();
            var client = WebSocketClient.Connect(Sys, new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"), app.Ref, Settings);
            Watch(client);
            using var silent = await listener.AcceptSocketAsync().WaitAsync(Wait); // TCP is up; the handshake is never answered

            client.Tell(new Close());
            var closed = app.ExpectMsg<Closed>(Wait);
            Assert.Equal((CloseCodes.AbnormalClosure, "closed before the opening handshake completed"), (closed.Code, closed.Reason));
            ExpectTerminated(client, Wait);
            Scheduler.Advance(Max);
            app.ExpectNoMsg(Quiet);
        }
        finally
        {
            listener.Stop();
        }
    }
}
