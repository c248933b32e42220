using System.Diagnostics;
using System.Net.WebSockets;
using ActorWs.Hardening.Tests.Support;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Memory after large messages (Autobahn 9.* sends 16 MiB ones): the demo's echo server, in a process
/// of its own, echoes a burst of them and must give the memory back once the burst is over, not keep
/// its peak for good (what the shared array pool and an idle GC did: 230 MB held after twenty).
/// </summary>
public sealed class LargeMessageMemoryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private const int MessageSize = 16 * 1024 * 1024 - 1024; // under limits.max-message-size (16 MiB)
    private const int Messages = 8;

    [Fact]
    public async Task Resident_memory_returns_near_its_baseline_after_a_burst_of_16_MiB_messages()
    {
        var config = Path.Combine(Path.GetTempPath(), $"actorws-memory-{Guid.NewGuid():N}.hocon");
        // Short, so the test need not wait out the default 10 s; the mechanism is the same. Whole
        // messages (serve streams those over 1 MiB by default), because the burst must take memory.
        await File.WriteAllTextAsync(config, "actorws.memory.reclaim-after = 1s\nactorws.messages.stream-over = 0\n");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { BuildOutput.DemoDll(), "serve", "--port", "0", "--quiet", "--config", config })
            start.ArgumentList.Add(arg);
        using var server = Process.Start(start)!;
        try
        {
            _ = server.StandardError.ReadToEndAsync();
            string? line;
            while ((line = await server.StandardOutput.ReadLineAsync().WaitAsync(Generous)) is not null && !line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
            }
            Assert.True(line is not null, "the demo server exited before it listened");
            var uri = new Uri($"ws://127.0.0.1:{line!.Split(' ')[1]}/");

            using var client = new ClientWebSocket();
            await client.ConnectAsync(uri, CancellationToken.None).WaitAsync(Generous);
            await EchoAsync(client, new byte[32]); // the code paths warm, the baseline after them
            long baseline = RssKiB(server);

            var payload = new byte[MessageSize];
            Random.Shared.NextBytes(payload);
            for (int i = 0; i < Messages; i++)
                await EchoAsync(client, payload);
            long peak = RssKiB(server);
            output.WriteLine($"server RSS: baseline {baseline / 1024} MiB, after {Messages} × 16 MiB echoes {peak / 1024} MiB");
            // Otherwise the test would prove nothing: the burst did take memory.
            Assert.True(peak > baseline + 64 * 1024, $"the burst took no memory worth giving back ({baseline} → {peak} KiB)");

            // The positive signal: RSS back within 20 % of the baseline; the limit only ends a failing wait.
            var readings = new List<long>();
            var deadline = Stopwatch.StartNew();
            while (RssKiB(server) is var rss && rss > baseline * 1.2)
            {
                readings.Add(rss);
                Assert.True(deadline.Elapsed < Generous, $"RSS stayed above 1.2 × {baseline} KiB: {string.Join(", ", readings.TakeLast(10))} KiB");
                await Task.Delay(250);
            }
            output.WriteLine($"back to {RssKiB(server) / 1024} MiB after {deadline.Elapsed.TotalSeconds:0.0} s");
            await EchoAsync(client, new byte[32]); // and the server still serves
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            File.Delete(config);
        }
    }

    private static async Task EchoAsync(ClientWebSocket client, byte[] payload)
    {
        await client.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).WaitAsync(Generous);
        var buffer = new byte[1 << 20];
        int total = 0;
        ValueWebSocketReceiveResult received;
        do
        {
            received = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Generous);
            total += received.Count;
        }
        while (!received.EndOfMessage);
        Assert.Equal(payload.Length, total);
    }

    private static long RssKiB(Process process) =>
        long.Parse(File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
