using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// A client given several endpoints (the nodes of a cluster) in virtual time: each reconnect goes to
/// the next endpoint in the list, round and round, after the usual backoff delay.
/// </summary>
public sealed class ReconnectEndpointsTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly WebSocketSettings Settings = TestSettings.Create("""
        actorws.reconnect { enabled = on, min-backoff = 100ms, first-delay-max = 500ms, max-backoff = 2s, random-factor = 0.2, reset-after = 5s }
        """, traceLifecycle: true);

    /// <summary>Bound and never listening: each connect to it is refused at once.</summary>
    private readonly Socket _refusing = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ReconnectEndpointsTests(ITestOutputHelper output) : base(AkkaConfig.VirtualTime, output: output) =>
        LifecycleTap.Subscribe(Sys, e => output.WriteLine($"{e.Connection} {e}"));

    protected override void Dispose(bool disposing)
    {
        _refusing.Dispose();
        base.Dispose(disposing);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static void Advance(TestScheduler scheduler, Reconnecting reconnecting) => scheduler.Advance(reconnecting.Delay);

    [Fact]
    public async Task Each_reconnect_goes_to_the_next_endpoint_and_after_the_last_back_to_the_first()
    {
        // A: nothing listens. B: a server that answers 503 (retried). C: an echo server.
        _refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var a = new Uri($"ws://127.0.0.1:{((IPEndPoint)_refusing.LocalEndPoint!).Port}/");
        var busy = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), Settings, UniqueName.For("busy"),
            UpgradeDecider.FromFunction(_ => new UpgradeDecision.Reject(503, "busy")));
        var serverSide = CreateTestProbe();
        var echo = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(serverSide.Ref), Settings, UniqueName.For("echo"));
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, [a, busy.Uri, echo.Uri], app.Ref, Settings);

        ExpectRefusedByNobody(app);
        ExpectRefusedWith503(app);
        app.ExpectMsg<Opened>(Wait);

        // C drops the connection: the next attempt goes to A again, then to B.
        serverSide.ExpectMsg<Opened>(Wait).Connection.Tell(Abort.Instance);
        var lost = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, true), (lost.Code, lost.WillReconnect));
        Advance(Scheduler, app.ExpectMsg<Reconnecting>(Wait));
        ExpectRefusedByNobody(app);
        ExpectRefusedWith503(app);
        app.ExpectMsg<Opened>(Wait);
    }

    [Fact]
    public void An_empty_list_of_endpoints_is_refused_where_the_client_is_made()
    {
        var e = Assert.Throws<ArgumentException>(() => WebSocketClient.Connect(Sys, Array.Empty<Uri>(), TestActor, Settings));
        Assert.Contains("no endpoint", e.Message);
    }

    [Fact]
    public void An_endpoint_that_is_neither_ws_nor_wss_anywhere_in_the_list_is_refused_where_the_client_is_made()
    {
        // wss:// is TLS (TlsTests); another scheme has no WebSocket meaning (RFC 6455 §3).
        var e = Assert.Throws<ArgumentException>(() =>
            WebSocketClient.Connect(Sys, [new Uri("ws://127.0.0.1:1/"), new Uri("wss://127.0.0.1:2/"), new Uri("http://127.0.0.1:3/")], TestActor, Settings));
        Assert.Contains("http://127.0.0.1:3/", e.Message);
    }

    /// <summary>The attempt found nothing listening (1006, no handshake), and the next is announced and let start.</summary>
    private void ExpectRefusedByNobody(TestProbe app)
    {
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, (int?)null, true), (closed.Code, closed.HandshakeFailure?.StatusCode, closed.WillReconnect));
        Advance(Scheduler, app.ExpectMsg<Reconnecting>(Wait));
    }

    /// <summary>The attempt reached the busy server, and the next is announced and let start.</summary>
    private void ExpectRefusedWith503(TestProbe app)
    {
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((503, true), (closed.HandshakeFailure?.StatusCode, closed.WillReconnect));
        Advance(Scheduler, app.ExpectMsg<Reconnecting>(Wait));
    }
}
