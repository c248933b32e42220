using System.Diagnostics;
using System.Reflection;
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

    /// <summary>bench/ActorWs.Load's build output, built with this project (see the .csproj).</summary>
    private static string LoadToolDll() =>
        typeof(IdleLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ActorWsLoadDll").Value!;

    [Fact]
    public async Task Ten_thousand_idle_connections_from_another_process_each_echo_a_message_and_nothing_is_lost()
    {
        var dll = LoadToolDll();
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build ActorWs.sln) first");
        int fdLimit = OpenFileLimit();
        Assert.True(fdLimit > Connections + 1000, $"this process may open {fdLimit} files; the server needs more than {Connections + 1000}");

        CaptureErrors();
        var counts = new HandlerCounts();
        // Keep-alive stays at its shipped default (20 s): the idle connections are real ones.
        var server = await StartServerAsync(Settings("keep-alive.ping-interval = 20s"), handler: CountingEchoHandler.Props(counts));
        // The runtime opens its child-process plumbing once, on the first Process.Start: not a leak.
        using (var warm = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
            await warm.WaitForExitAsync();
        int fdBefore = OpenFileDescriptors();

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "idle", "--url", server.Uri.ToString(), "--connections", $"{Connections}", "--pid", $"{Environment.ProcessId}", "--settle", "2", "--timeout", "60" })
            start.ArgumentList.Add(arg);
        var watch = Stopwatch.StartNew();
        var load = Process.Start(start)!;
        var stdout = load.StandardOutput.ReadToEndAsync();
        var stderr = load.StandardError.ReadToEndAsync();
        // While the load tool holds its connections, this process holds the other ends.
        int fdPeak = fdBefore;
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180)))
        {
            try
            {
                while (!load.HasExited)
                {
                    fdPeak = Math.Max(fdPeak, OpenFileDescriptors());
                    await Task.WhenAny(load.WaitForExitAsync(cts.Token), Task.Delay(200, cts.Token));
                }
            }
            catch (OperationCanceledException)
            {
                load.Kill(entireProcessTree: true);
                Assert.Fail($"the load tool did not finish within 180 s:\n{await stderr}");
            }
        }
        await load.WaitForExitAsync();
        string output = await stdout, errors = await stderr;
        int exitCode = load.ExitCode;
        load.Dispose(); // its pipes are descriptors of this process too
        Out.WriteLine($"load tool exit code {exitCode} after {watch.Elapsed.TotalSeconds:0.0} s\n{output}{errors}");

        var resultLine = output.Split('\n').SingleOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no RESULT line from the load tool:\n{output}\n{errors}");
        using var result = JsonDocument.Parse(resultLine["RESULT ".Length..]);
        var root = result.RootElement;
        long errorCount = root.GetProperty("errors").GetInt64();
        long messages = root.GetProperty("messages").GetInt64();
        double rssPerConnection = root.GetProperty("rss_per_conn_kib").GetDouble();
        Out.WriteLine($"server RSS per idle connection: {rssPerConnection:0.00} KiB; open descriptors in this process: {fdBefore} -> peak {fdPeak}");

        Assert.Equal(0, errorCount);
        Assert.Equal(Connections, messages);
        Assert.Equal(0, exitCode);
        Assert.True(fdPeak >= fdBefore + Connections, $"the server held at most {fdPeak - fdBefore} sockets, not {Connections}");
        // The load tool's 20 warm-up connections, then the 10,000: each one opened and closed once.
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(60));
        Assert.Equal(Connections + 20, counts.Opened);
        Assert.Equal(counts.Opened, counts.Closed);
        Assert.Equal(0, counts.Unclean);
        await AwaitFileDescriptorsAtMostAsync(fdBefore + 2, TimeSpan.FromSeconds(30));
        Assert.Empty(Errors);
    }

    private static int OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? int.MaxValue : int.Parse(soft);
    }
}
