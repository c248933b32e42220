using System.Net.Sockets;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Logging;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// A peer that sends faster than the application handles: the reader stops reading from TCP while the
/// handler is behind (limits.max-handler-backlog), so the peer's bytes wait in the kernels' TCP
/// buffers, not in the server's memory; nothing is lost when the handler catches up.
/// </summary>
public sealed class SlowHandlerTests(ITestOutputHelper output) : HardeningKit(output)
{
    /// <summary>Blocks on its first message until the gate opens (a stuck application), then counts.</summary>
    private sealed class GatedHandler : ReceiveActor
    {
        public GatedHandler(IActorRef monitor, ManualResetEventSlim gate, StrongBox<int> received)
        {
            monitor.Tell(Self);
            Receive<TextReceived>(_ =>
            {
                gate.Wait(TimeSpan.FromSeconds(30));
                Interlocked.Increment(ref received.Value);
            });
            ReceiveAny(_ => { });
        }
    }

    private sealed class StrongBox<T>(T value)
    {
        public T Value = value;
    }

    [Fact]
    public async Task A_flood_into_a_stuck_handler_pauses_reading_and_loses_nothing()
    {
        const int backlog = 100;
        using var gate = new ManualResetEventSlim(false);
        var received = new StrongBox<int>(0);
        var monitor = CreateTestProbe();
        // Only the trace's "reading paused/resumed": a flood traces two events a message.
        var reading = TraceProbe(e => e.Category == TraceCategory.Tcp && (e.Message.EndsWith("reading paused", StringComparison.Ordinal) ||
                                                              e.Message.EndsWith("reading resumed", StringComparison.Ordinal)));
        var settings = TestSettings.Create($"actorws.limits.max-handler-backlog = {backlog}", traceLifecycle: true);
        var server = await StartServerAsync(settings, handler: Props.Create(() => new GatedHandler(monitor.Ref, gate, received)));
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        peer.Socket.SendBufferSize = 16 * 1024; // so that the flood needs less to overfill the kernel
        var handler = monitor.ExpectMsg<IActorRef>();
        var cell = ((ActorRefWithCell)handler).Underlying;
        var frame = peer.Text("x");
        byte[] Messages(int count)
        {
            var bytes = new byte[frame.Length * count];
            for (int i = 0; i < count; i++)
                frame.CopyTo(bytes, i * frame.Length);
            return bytes;
        }

        // Enough to fill the stuck handler's mailbox past the limit: the reader pauses.
        int first = backlog + 2;
        await peer.SendAsync(Messages(first));
        var paused = reading.ExpectMsg<LifecycleEvent>(TimeSpan.FromSeconds(30));
        Assert.EndsWith("reading paused", paused.Message);
        // The reader told the socket to stop before it traced the pause; once the socket actor has
        // handled that (an Identify behind it), it reads nothing more from the kernel.
        var socket = await Sys.ActorSelection("/system/actorws-tcp-*").Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(30));
        Assert.NotNull(socket.Subject);
        // While the handler is stuck nothing more reaches it: the one it holds, the rest waiting,
        // and the reader's one Identify among them (automatic demand's probe). On a loaded machine
        // the handler may not have run yet at all, with Opened and the first message still queued.
        Assert.InRange(cell.NumberOfMessages, backlog + 1, first + 2);

        // Then more than the kernel can hold for the paused server: its socket's receive buffer
        // and the peer's send buffer, read back as the kernel sized them (Linux doubles what is
        // asked, and caps it), and a read's worth on top. The send cannot complete while reading
        // is paused, whatever the timing: only reading makes room.
        int serverReceiveBuffer;
        using (var likeTheServers = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            likeTheServers.ReceiveBufferSize = settings.ReceiveBufferSize;
            serverReceiveBuffer = likeTheServers.ReceiveBufferSize;
        }
        long kernelHolds = serverReceiveBuffer + peer.Socket.SendBufferSize + settings.MaxReadSize;
        int flood = (int)(2 * kernelHolds / frame.Length);
        var sending = peer.Socket.SendAsync(Messages(flood).AsMemory(), SocketFlags.None).AsTask();
        Out.WriteLine($"flood of {flood} messages ({flood * frame.Length} bytes) for kernel buffers of {kernelHolds} bytes");
        // The flood reaches the server's kernel and stays there unread.
        await AwaitConditionAsync(() => Task.FromResult(ProcessSockets.OnLocalPort(server.Endpoint.Port).Any(s => s.ReceiveQueue > 0)), TimeSpan.FromSeconds(30));
        Assert.False(sending.IsCompleted, "the peer's send completed while the server was not reading");
        Assert.Equal(0, Volatile.Read(ref received.Value));

        // The handler catches up: reading resumes and every message arrives, the mailbox never
        // holding more than the limit, one read's messages and the one probe (the reader checks after each read).
        gate.Set();
        int oneRead = settings.MaxReadSize / frame.Length, peak = 0, total = first + flood;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Volatile.Read(ref received.Value) < total)
        {
            peak = Math.Max(peak, cell.NumberOfMessages);
            Assert.True(peak <= backlog + oneRead + 1, $"the handler's mailbox held {peak} messages (limit {backlog}, one read holds up to {oneRead}, and one probe)");
            Assert.True(DateTime.UtcNow < deadline, $"{received.Value} of {total} messages reached the handler in 60 s");
            if (sending.IsFaulted)
                await sending;
            await Task.Delay(1); // a sampling interval, not a wait for anything
        }
        await sending.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.EndsWith("reading resumed", reading.ExpectMsg<LifecycleEvent>(TimeSpan.FromSeconds(30)).Message);
        Out.WriteLine($"handler mailbox peak while catching up {peak} (limit {backlog}, one read holds up to {oneRead})");
        await server.StopAsync();
    }
}
