using System.Diagnostics;
using System.Text.Json;
using ActorWs.Hardening.Tests.Support;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// 10,000 idle connections to one server, opened by bench/ActorWs.Load in a separate process (so the
/// two sides' 10,000 sockets each fit under a 20,000 descriptor limit), then one message echoed on
/// every connection and all closed cleanly: nothing lost, and every connection's actors gone after.
/// </summary>
public sealed class IdleLoadTests(ITestOutputHelper output) : HardeningKit(output)
{
    private const int Connections = 10_000;

    [Fact]
    public async Task Ten_thousand_idle_connections_from_another_process_each_echo_a_message_and_nothing_is_lost()
    {
        var dll = BuildOutput.LoadToolDll();
        int fdLimit = OpenFileLimit();
        Assert.True(fdLimit > Connections + 1000, $"this process may open {fdLimit} files; the server needs more than {Connections + 1000}");

        CaptureErrors();
        var counts = new HandlerCounts();
        // The load tool's 20 warm-up connections echo at once; each of the 10,000 after them holds
        // its message until all are open and counted. The tool waits for those echoes (up to its
        // --timeout) before it closes anything, so the count cannot race with the closes.
        const int warmUp = 20;
        var echoGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allOpen = counts.WhenOpenAtOnce(Connections);
        // Keep-alive stays at its shipped default (20 s): the idle connections are real ones.
        var server = await StartServerAsync(TestSettings.Create("actorws.keep-alive.ping-interval = 20s"), handler: CountingEchoHandler.Props(counts, echoGate.Task, ungated: warmUp));
        int port = server.Endpoint.Port;
        Assert.Equal(0, ProcessSockets.ConnectionsOnLocalPort(port));

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "idle", "--url", server.Uri.ToString(), "--connections", $"{Connections}", "--pid", $"{Environment.ProcessId}", "--settle", "2", "--timeout", "60" })
            start.ArgumentList.Add(arg);
        var watch = Stopwatch.StartNew();
        using var load = Process.Start(start)!;
        var stdout = load.StandardOutput.ReadToEndAsync();
        var stderr = load.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var exited = load.WaitForExitAsync(cts.Token);
        int held;
        try
        {
            // While the load tool holds its connections, this process holds the other ends.
            if (await Task.WhenAny(allOpen, exited) == exited)
            {
                await exited; // throws if the 180 s ran out
                Assert.Fail($"the load tool exited (code {load.ExitCode}) with {counts.Opened} connections opened:\n{await stdout}{await stderr}");
            }
            held = ProcessSockets.ConnectionsOnLocalPort(port);
            echoGate.SetResult();
            await exited;
        }
        catch (OperationCanceledException)
        {
            load.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"the load tool did not finish within 180 s ({counts.Opened} connections opened):\n{await stderr}");
        }
        finally
        {
            echoGate.TrySetResult();
        }
        string output = await stdout, errors = await stderr;
        int exitCode = load.ExitCode;
        Out.WriteLine($"load tool exit code {exitCode} after {watch.Elapsed.TotalSeconds:0.0} s\n{output}{errors}");

        var resultLine = output.Split('\n').SingleOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no RESULT line from the load tool:\n{output}\n{errors}");
        using var result = JsonDocument.Parse(resultLine["RESULT ".Length..]);
        var root = result.RootElement;
        long errorCount = root.GetProperty("errors").GetInt64();
        long messages = root.GetProperty("messages").GetInt64();
        double rssPerConnection = root.GetProperty("rss_per_conn_kib").GetDouble();
        Out.WriteLine($"server RSS per idle connection: {rssPerConnection:0.00} KiB; connections held on port {port} with all open: {held}");

        Assert.Equal(0, errorCount);
        Assert.Equal(Connections, messages);
        Assert.Equal(0, exitCode);
        Assert.True(held >= Connections, $"with {Connections} connections open the server held {held} sockets on its port");
        // The load tool's 20 warm-up connections, then the 10,000: each one opened and closed once.
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(60));
        Assert.Equal(Connections + warmUp, counts.Opened);
        Assert.Equal(counts.Opened, counts.Closed);
        Assert.Equal(0, counts.Unclean);
        // Every accepted socket closed: only the listener is left on the port.
        await AwaitOnlyTheListenerAsync(server, TimeSpan.FromSeconds(60));
        Assert.Empty(Errors);
    }

    private static int OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? int.MaxValue : int.Parse(soft);
    }
}
