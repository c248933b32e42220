using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Logging;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Peers that stop answering, on real sockets with the connection's timeouts in virtual time: every
/// wait ends, TCP is closed or aborted, the handler hears exactly one Closed, and a peer that stops
/// reading cannot make memory grow. Each timeout is advanced once its timer is known to be running
/// (an Identify through its actor, or the trace event that follows the timer's start); that a
/// timeout does not fire early is for the unit tests (CloseTests, PingerTests).
/// </summary>
public sealed class SilentPeerTests(ITestOutputHelper output) : HardeningKit(output, virtualTime: true)
{
    private static readonly TimeSpan Wait = RawPeer.DefaultTimeout;

    [Fact]
    public async Task Peer_that_never_answers_our_close_is_aborted_after_the_close_timeout()
    {
        var closeTimeout = TimeSpan.FromSeconds(5);
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create($"actorws.close.timeout = {closeTimeout.TotalSeconds}s"), monitor.Ref);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        var connection = (await monitor.ExpectMsgAsync<Opened>(Wait)).Connection;

        connection.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        var close = await peer.ReadFrameAsync();
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.NormalClosure }, $"expected our close 1000, got {close}");
        // The close coordinator starts its timeout as it sends the frame.
        await Sys.SyncAsync(connection.Path.Parent / "close");
        Scheduler.Advance(closeTimeout);
        // The peer reads on but never answers: the server must not wait for ever.
        Assert.Empty(await peer.ReadUntilClosedAsync(Wait));
        Assert.True(peer.WasReset, "the server should abort TCP (RST) when the close handshake times out");
        var closed = await monitor.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        await AwaitNoConnectionsAsync(server, Wait);
    }

    [Fact]
    public async Task Client_closes_TCP_itself_when_the_server_never_sends_FIN_after_the_close_handshake()
    {
        var finWait = TimeSpan.FromSeconds(2);
        var handler = CreateTestProbe();
        var finWaiting = TraceProbe(e => e.Category == TraceCategory.Tcp && e.Message.StartsWith("waiting for the server to close TCP first", StringComparison.Ordinal));
        using var listener = new LoopbackListener();
        var client = WebSocketClient.Connect(Sys, listener.Uri, handler.Ref,
            TestSettings.Create($"actorws.close {{ fin-wait-timeout = {finWait.TotalSeconds}s, timeout = 5s }}", traceLifecycle: true), UniqueName.For("ws-client"));
        Watch(client);
        using var server = await listener.AcceptAsync(Wait);
        var connection = (await handler.ExpectMsgAsync<Opened>(Wait)).Connection;

        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var close = await server.ReadFrameAsync();
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.NormalClosure }, $"expected the client's close 1000, got {close}");
        await server.SendAsync(server.Close(CloseCodes.NormalClosure));
        // The client's close coordinator has the answer and waits for the server's FIN: its trace
        // says so right after it starts the FIN wait.
        await finWaiting.ExpectMsgAsync<LifecycleEvent>(Wait);
        Scheduler.Advance(finWait);
        // The fake server never closes TCP: the client's FIN must come once its FIN wait runs out.
        Assert.Empty(await server.ReadUntilClosedAsync(Wait));
        Assert.False(server.WasReset, "the client should close TCP with a FIN, not abort it");
        var closed = await handler.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "", true), closed);
        await ExpectTerminatedAsync(client, Wait);
    }

    [Fact]
    public async Task Half_open_peer_that_never_answers_pings_gets_1011_then_TCP_is_closed()
    {
        var interval = TimeSpan.FromSeconds(10);
        var pongTimeout = TimeSpan.FromSeconds(5);
        var closeTimeout = TimeSpan.FromSeconds(3);
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create($$"""
            actorws.keep-alive { ping-interval = {{interval.TotalSeconds}}s, pong-timeout = {{pongTimeout.TotalSeconds}}s }
            actorws.close.timeout = {{closeTimeout.TotalSeconds}}s
            """), monitor.Ref);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        var connection = (await monitor.ExpectMsgAsync<Opened>(Wait)).Connection.Path.Parent;

        // Reads everything, answers nothing (a peer whose application hangs, or a dead NAT path).
        await Sys.SyncAsync(connection); // its interval timer is set before Opened; no pinger yet
        Scheduler.Advance(interval);
        var ping = await peer.ReadFrameAsync(Wait);
        Assert.True(ping is { Opcode: Opcode.Ping }, $"expected a ping, got {ping?.ToString() ?? "TCP closed"}");
        await Sys.SyncAsync(connection / "pinger"); // the pong deadline runs
        Scheduler.Advance(pongTimeout);
        var frame = await peer.ReadFrameAsync(Wait);
        Assert.True(frame is { Opcode: Opcode.Close, CloseCode: CloseCodes.InternalError }, $"expected close 1011, got {frame?.ToString() ?? "TCP closed"}");
        // Silent to the close frame as well: the server does not keep the socket.
        await Sys.SyncAsync(connection / "close"); // its close timeout runs
        Scheduler.Advance(closeTimeout);
        Assert.Empty(await peer.ReadUntilClosedAsync(Wait));
        var closed = await monitor.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal((CloseCodes.InternalError, false), (closed.Code, closed.WasClean));
        await AwaitNoConnectionsAsync(server, Wait);
    }

    [Fact]
    public async Task Peer_that_stops_reading_gets_SendBufferHigh_then_1008_and_the_heap_stays_bounded()
    {
        const long bound = 200L << 20;
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create("actorws.write { high-watermark = 64 KiB, max-buffered = 4 MiB }"),
            handler: FloodHandler.Props(monitor.Ref, 64 * 1024));
        long baseline = GC.GetTotalMemory(true);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint, receiveBuffer: 4096);
        await monitor.ExpectMsgAsync<Opened>(Wait);

        // The handler sends 64 KiB messages without pause and ignores the back-pressure signal.
        long peak = baseline;
        var events = new List<object>();
        var watch = Stopwatch.StartNew();
        while (events.LastOrDefault() is not Closed)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"no Closed after 30 s; events: {string.Join(", ", events)}");
            peak = Math.Max(peak, GC.GetTotalMemory(false));
            events.Add(await monitor.ReceiveOneAsync(TimeSpan.FromMilliseconds(20)) ?? "");
            events.RemoveAll(e => e is "");
        }
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        Out.WriteLine($"events: {string.Join(", ", events)}; managed heap {baseline >> 20} MiB -> peak {peak >> 20} MiB in {watch.ElapsedMilliseconds} ms");

        var high = Assert.IsType<SendBufferHigh>(events[0]);
        Assert.InRange(high.BufferedBytes, 64 * 1024 + 1, 4L << 20);
        var closed = (Closed)events[^1];
        Assert.Equal((CloseCodes.PolicyViolation, false), (closed.Code, closed.WasClean));
        // While the kernel's socket buffers still took bytes the queue could drain; once the peer's
        // window was full it only grew: the failure came above the high watermark, never drained.
        Assert.IsType<SendBufferHigh>(events[^2]);
        Assert.True(peak - baseline < bound, $"managed heap grew by {(peak - baseline) >> 20} MiB while the handler kept sending");
        // Nothing more than the buffers of the socket reached the peer; the server dropped it.
        long received = await peer.DrainUntilClosedAsync(Wait);
        Out.WriteLine($"the peer could still read {received} bytes");
        await AwaitNoConnectionsAsync(server, Wait);
    }
}
