using System.Net.Sockets;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// A peer that sends faster than the application handles: the reader stops reading from TCP while the
/// handler is behind (limits.max-handler-backlog), so the peer's bytes wait in its own TCP window,
/// not in the server's memory; nothing is lost when the handler catches up.
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
        const int backlog = 100, messages = 400_000;
        using var gate = new ManualResetEventSlim(false);
        var received = new StrongBox<int>(0);
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(Settings($"limits.max-handler-backlog = {backlog}"),
            handler: Props.Create(() => new GatedHandler(monitor.Ref, gate, received)));
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint, receiveBuffer: 4096);
        peer.Socket.SendBufferSize = 16 * 1024; // so that the flood cannot all sit in our own kernel buffer
        var handler = monitor.ExpectMsg<IActorRef>();
        var cell = ((ActorRefWithCell)handler).Underlying;

        // 400,000 one-byte text messages (2.8 MB) in one go: far more than the TCP windows and whatever
        // Akka.IO reads ahead before the pause takes effect can hold, even on a loaded machine.
        var frame = peer.Text("x");
        var flood = new byte[frame.Length * messages];
        for (int i = 0; i < messages; i++)
            frame.CopyTo(flood, i * frame.Length);
        var sending = peer.Socket.SendAsync(flood.AsMemory(), SocketFlags.None).AsTask();

        // While the handler is stuck, its mailbox stays near the limit: at most one TCP read more.
        await AwaitConditionAsync(() => Task.FromResult(cell.NumberOfMessages >= backlog), TimeSpan.FromSeconds(10));
        int peak = 0;
        for (var until = DateTime.UtcNow.AddSeconds(1); DateTime.UtcNow < until; await Task.Delay(5))
            peak = Math.Max(peak, cell.NumberOfMessages);
        int oneRead = 64 * 1024 / frame.Length;
        Out.WriteLine($"handler mailbox peak {peak} (limit {backlog}, one read holds up to {oneRead})");
        Assert.InRange(peak, backlog, backlog + oneRead);
        Assert.False(sending.IsCompleted, "the peer's send should be held up by TCP flow control");

        // The handler catches up: reading resumes and every message arrives.
        gate.Set();
        await sending.WaitAsync(TimeSpan.FromSeconds(60));
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref received.Value) == messages), TimeSpan.FromSeconds(60));
        await server.StopAsync();
    }
}
