using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Peers that stop answering, on real sockets with short timeouts: every wait ends, TCP is closed or
/// aborted, the handler hears exactly one Closed, and a peer that stops reading cannot make memory grow.
/// </summary>
public sealed class SilentPeerTests(ITestOutputHelper output) : HardeningKit(output)
{
    private static readonly TimeSpan Wait = RawPeer.DefaultTimeout;

    [Fact]
    public async Task Peer_that_never_answers_our_close_is_aborted_after_the_close_timeout()
    {
        var closeTimeout = TimeSpan.FromMilliseconds(300);
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(Settings($"close.timeout = {closeTimeout.TotalMilliseconds}ms"), monitor.Ref);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        var connection = (await monitor.ExpectMsgAsync<Opened>(Wait)).Connection;

        connection.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        var close = await peer.ReadFrameAsync();
        var watch = Stopwatch.StartNew();
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.NormalClosure }, $"expected our close 1000, got {close}");
        // The peer reads on but never answers: the server must not wait for ever.
        Assert.Empty(await peer.ReadUntilClosedAsync(closeTimeout * 10));
        Out.WriteLine($"TCP {(peer.WasReset ? "reset" : "closed")} {watch.ElapsedMilliseconds} ms after the close frame");
        Assert.True(peer.WasReset, "the server should abort TCP (RST) when the close handshake times out");
        Assert.InRange(watch.Elapsed, closeTimeout * 0.5, closeTimeout * 8);
        var closed = await monitor.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        await AwaitNoConnectionsAsync(server, Wait);
    }

    [Fact]
    public async Task Client_closes_TCP_itself_when_the_server_never_sends_FIN_after_the_close_handshake()
    {
        var finWait = TimeSpan.FromMilliseconds(300);
        var handler = CreateTestProbe();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var client = WebSocketClient.Connect(Sys, uri, handler.Ref,
            Settings($"close {{ fin-wait-timeout = {finWait.TotalMilliseconds}ms, timeout = 2s }}"), UniqueName("ws-client"));
        Watch(client);
        using var server = RawPeer.Accepted(await listener.AcceptSocketAsync().WaitAsync(Wait));
        listener.Stop();
        var request = await server.ReadHeadAsync(Wait) ?? throw new InvalidOperationException("no upgrade request");
        var key = request.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                                                       $"Sec-WebSocket-Accept: {Handshake.ComputeAccept(key)}\r\n\r\n"));
        var connection = (await handler.ExpectMsgAsync<Opened>(Wait)).Connection;

        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var close = await server.ReadFrameAsync();
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.NormalClosure }, $"expected the client's close 1000, got {close}");
        await server.SendAsync(server.Close(CloseCodes.NormalClosure));
        var watch = Stopwatch.StartNew();
        // The fake server never closes TCP: the client's FIN must come once its FIN wait runs out.
        Assert.Empty(await server.ReadUntilClosedAsync(finWait * 10));
        Out.WriteLine($"client's FIN {watch.ElapsedMilliseconds} ms after the close handshake completed (fin-wait-timeout {finWait.TotalMilliseconds} ms)");
        Assert.False(server.WasReset, "the client should close TCP with a FIN, not abort it");
        Assert.InRange(watch.Elapsed, finWait * 0.5, finWait * 8);
        var closed = await handler.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "", true), closed);
        await ExpectTerminatedAsync(client, Wait);
    }

    [Fact]
    public async Task Half_open_peer_that_never_answers_pings_gets_1011_then_TCP_is_closed()
    {
        var interval = TimeSpan.FromMilliseconds(200);
        var pongTimeout = TimeSpan.FromMilliseconds(300);
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(Settings($$"""
            keep-alive { ping-interval = {{interval.TotalMilliseconds}}ms, pong-timeout = {{pongTimeout.TotalMilliseconds}}ms }
            close.timeout = 300ms
            """), monitor.Ref);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        await monitor.ExpectMsgAsync<Opened>(Wait);
        var watch = Stopwatch.StartNew();

        // Reads everything, answers nothing (a peer whose application hangs, or a dead NAT path).
        int pings = 0;
        WireFrame? frame;
        while ((frame = await peer.ReadFrameAsync(Wait)) is { Opcode: Opcode.Ping })
            pings++;
        Out.WriteLine($"{pings} pings, then {frame} after {watch.ElapsedMilliseconds} ms");
        Assert.True(pings >= 1, "the server never pinged");
        Assert.True(frame is { Opcode: Opcode.Close, CloseCode: CloseCodes.InternalError }, $"expected close 1011, got {frame?.ToString() ?? "TCP closed"}");
        Assert.InRange(watch.Elapsed, interval + pongTimeout * 0.5, (interval + pongTimeout) * 8);
        // Silent to the close frame as well: the server does not keep the socket.
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
        var server = await StartServerAsync(Settings("write { high-watermark = 64 KiB, max-buffered = 4 MiB }"),
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
