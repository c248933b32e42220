using System.Net.Sockets;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>Runs alone: it measures the process's live managed heap, which tests running beside it
/// (ten thousand connections, churn) would move.</summary>
[CollectionDefinition(nameof(HeapMeasurements), DisableParallelization = true)]
public sealed class HeapMeasurements;

/// <summary>A peer that floods pings and never reads the pongs: the pongs back up to
/// <c>limits.max-pending-control</c> and no further, and the connection fails with 1008.</summary>
[Collection(nameof(HeapMeasurements))]
public sealed class PingFloodTests(ITestOutputHelper output) : HardeningKit(output, virtualTime: true)
{
    private static readonly TimeSpan Wait = RawPeer.DefaultTimeout;

    /// <summary>What the flood may send before the server must have given up: the kernel's buffers
    /// on both sides (the server's receive buffer is tcp.receive-buffer-size, 256 KiB) hold far fewer
    /// pings than this; a server that never closes fails here instead of after a clock runs out.</summary>
    private const long MaxPings = 10_000_000;

    [Fact]
    public async Task Ping_flood_from_a_peer_that_never_reads_fails_with_1008_and_memory_stays_bounded()
    {
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create("actorws.limits.max-pending-control = 8"), monitor.Ref);
        // A small receive window that is never read: the server's pongs back up after a few MB.
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint, receiveBuffer: 4096);
        await monitor.ExpectMsgAsync<Opened>(Wait);

        var ping = peer.Frame(Opcode.Ping, new byte[125]);
        var batch = Wire.Concat(Enumerable.Repeat(ping, 1000).ToArray());
        // Live objects only (a full collection before each look): garbage the collector has not
        // reached yet says nothing about what the server keeps.
        long baseline = GC.GetTotalMemory(forceFullCollection: true), peak = baseline, sent = 0;
        Closed? closed = null;
        while (closed is null)
        {
            Assert.True(sent < MaxPings, $"{sent} pings sent and the connection is still open");
            try
            {
                await peer.SendAsync(batch);
                sent += 1000;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // The server dropped the connection (or stopped reading it): wait for its verdict.
                closed = await monitor.ExpectMsgAsync<Closed>(Wait);
                break;
            }
            if (sent % 32_000 == 0)
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
            if (monitor.HasMessages)
                closed = await monitor.ExpectMsgAsync<Closed>(Wait);
        }
        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
        Out.WriteLine($"{sent} pings sent before {closed}; live managed heap {baseline >> 20} MiB -> peak {peak >> 20} MiB");
        Assert.Equal(CloseCodes.PolicyViolation, closed.Code);
        Assert.False(closed.WasClean);
        // The pings the server read but could not answer were never queued beyond max-pending-control.
        Assert.True(peak - baseline < 64L << 20, $"live managed heap grew by {(peak - baseline) >> 20} MiB during the flood");
        await AwaitNoConnectionsAsync(server, Wait);
    }
}
