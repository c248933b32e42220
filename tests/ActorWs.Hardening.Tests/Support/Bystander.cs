using System.Net;
using ActorWs.Protocol;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>
/// A well-behaved client that echoes text messages with the server in a loop while a test attacks
/// the same server from other sockets: every echo must come back whole and in order.
/// </summary>
public sealed class Bystander
{
    private readonly RawPeer _peer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _echoes;

    private Bystander(RawPeer peer)
    {
        _peer = peer;
        _loop = Task.Run(LoopAsync);
    }

    public int Echoes => Volatile.Read(ref _echoes);

    public static async Task<Bystander> StartAsync(Uri uri, IPEndPoint server, string? origin = null) =>
        new(await RawPeer.OpenAsync(uri, server, origin));

    private async Task LoopAsync()
    {
        for (long n = 0; !_stop.IsCancellationRequested; n++)
        {
            var text = $"bystander message #{n}";
            await _peer.SendAsync(_peer.Text(text));
            var frame = await _peer.ReadFrameAsync(RawPeer.DefaultTimeout);
            if (frame is null || frame.Opcode != Opcode.Text || Wire.Utf8(text).AsSpan().SequenceEqual(frame.Payload) is false)
                throw new Xunit.Sdk.XunitException($"the bystander's echo of '{text}' came back as {frame?.ToString() ?? "TCP closed"}");
            Interlocked.Increment(ref _echoes);
            // Pacing, so that the bystander does not starve the attack on a 2-core machine.
            await Task.Delay(2);
        }
    }

    /// <summary>Waits until the bystander has more than <paramref name="count"/> echoes (it is still
    /// being served), failing if its loop failed.</summary>
    public async Task AwaitEchoesBeyondAsync(int count, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Echoes <= count)
        {
            if (_loop.IsFaulted)
                await _loop;
            Assert.True(DateTime.UtcNow < deadline, $"the bystander got no echo beyond {count} within {within.TotalSeconds:0.#} s");
            await Task.Delay(10);
        }
    }

    /// <summary>Stops the loop, then closes cleanly: our 1000 is echoed and the server closes TCP.</summary>
    public async Task<int> CloseAsync()
    {
        _stop.Cancel();
        await _loop;
        await _peer.SendAsync(_peer.Close(CloseCodes.NormalClosure));
        var echo = await _peer.ReadFrameAsync();
        Assert.True(echo is { Opcode: Opcode.Close, CloseCode: CloseCodes.NormalClosure }, $"the bystander's close was answered with {echo?.ToString() ?? "TCP closed"}");
        Assert.Empty(await _peer.ReadUntilClosedAsync());
        _peer.Dispose();
        return Echoes;
    }
}
