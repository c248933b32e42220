using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using ActorWs.Demo;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo.Tests;

/// <summary>
/// Each demo scenario end to end, both sides in this process (two ActorSystems), with timings
/// shortened through configuration. The assertions are on the order of lifecycle events, never on
/// wall-clock times.
/// </summary>
public sealed class DemoScenarioTests
{
    /// <summary>The client's five messages span a second; the server's first message and first ping
    /// come within a tenth of that. The order the tests check (a ping and a server message before
    /// the client's last message) then holds unless one side's timers lag the other's by most of a
    /// second, where 150 and 120 ms against 500 ms left a loaded machine 350 ms.</summary>
    private static Config ShortTimings() => ConfigurationFactory.ParseString("""
        demo {
          port = 0
          client-interval = 200ms
          server-interval = 100ms
          close-delay = 50ms
        }
        actorws {
          port = 0
          keep-alive { ping-interval = 80ms, pong-timeout = 10s }
          reconnect { min-backoff = 20ms, first-delay-max = 60ms, max-backoff = 500ms }
        }
        """).WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Repository.PathOf("config/demo.hocon"))));

    private sealed record Outcome(List<LifecycleEvent> Events, IReadOnlyList<Closed> ServerCloses, Closed ClientClose);

    private static async Task<Outcome> Run(string scenario, string overrides = "")
    {
        var events = new ConcurrentQueue<LifecycleEvent>();
        var config = ConfigurationFactory.ParseString(overrides).WithFallback(ShortTimings());
        var run = await DemoRunner.StartServerAsync(scenario, config, events.Enqueue, print: Environment.GetEnvironmentVariable("DEMO_PRINT") == "1");
        try
        {
            var clientConfig = ConfigurationFactory.ParseString($"demo.port = {run.Server.Endpoint.Port}").WithFallback(config);
            var client = await DemoRunner.RunClientAsync(scenario, clientConfig, events.Enqueue, print: Environment.GetEnvironmentVariable("DEMO_PRINT") == "1").WaitAsync(TimeSpan.FromSeconds(60));
            var server = await run.Progress.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return new Outcome(events.OrderBy(e => e.Timestamp).ToList(), server, client);
        }
        finally
        {
            await run.Server.StopAsync();
            await run.System.Terminate();
        }
    }

    private static int IndexOf(List<LifecycleEvent> events, Role side, TraceCategory category, string fragment, int from = 0)
    {
        for (int i = from; i < events.Count; i++)
            if (events[i].Side == side && events[i].Category == category && events[i].Message.Contains(fragment))
                return i;
        return -1;
    }

    [Fact]
    public async Task Reference_scenario_walks_the_whole_lifecycle_in_order()
    {
        var (events, serverCloses, clientClose) = await Run("reference");

        // Opening handshake, in order on each side.
        int key = IndexOf(events, Role.Client, TraceCategory.Handshake, "Sec-WebSocket-Key=");
        int accept = IndexOf(events, Role.Server, TraceCategory.Handshake, "Sec-WebSocket-Accept=");
        int verified = IndexOf(events, Role.Client, TraceCategory.Handshake, "Sec-WebSocket-Accept verified");
        Assert.True(key >= 0 && accept > key && verified > accept, "key, accept, verification in order");
        Assert.True(IndexOf(events, Role.Server, TraceCategory.State, "OPEN") >= 0);

        // Five client messages, received by the server in order; the server's own messages interleaved.
        int last = -1;
        for (int n = 1; n <= 5; n++)
        {
            int received = IndexOf(events, Role.Server, TraceCategory.App, $"'message from CLIENT #{n}'");
            Assert.True(received > last, $"client message #{n} received after #{n - 1}");
            last = received;
        }
        Assert.Equal(-1, IndexOf(events, Role.Server, TraceCategory.App, "'message from CLIENT #6'"));
        int serverFirst = IndexOf(events, Role.Client, TraceCategory.App, "'message from SERVER #1'");
        Assert.True(serverFirst >= 0 && serverFirst < last, "the server's messages interleave with the client's");

        // At least one ping answered by a pong.
        Assert.True(IndexOf(events, Role.Server, TraceCategory.Ping, "ping #1") >= 0);
        Assert.True(IndexOf(events, Role.Client, TraceCategory.Ping, "answered with an identical pong") >= 0);
        Assert.True(IndexOf(events, Role.Server, TraceCategory.Ping, "pong") >= 0);

        // The client closes with 1000 'done', the server replies, the server closes TCP first.
        int closeSent = IndexOf(events, Role.Client, TraceCategory.Frame, "opcode=CLOSE len=6");
        int reply = IndexOf(events, Role.Server, TraceCategory.Frame, "received first: replying");
        int serverTcp = IndexOf(events, Role.Server, TraceCategory.Tcp, "server closes TCP first");
        int clientFin = IndexOf(events, Role.Client, TraceCategory.Tcp, "FIN from the server");
        Assert.True(closeSent >= 0 && reply > closeSent && serverTcp > reply && clientFin > serverTcp,
            "close frame, reply, server closes TCP, client sees the FIN");

        Assert.Equal(new Closed(CloseCodes.NormalClosure, "done", true), serverCloses.Single());
        Assert.Equal(CloseCodes.NormalClosure, clientClose.Code);
        Assert.True(clientClose.WasClean);
    }

    [Fact]
    public async Task Abnormal_scenario_reports_1006_on_both_sides_reconnects_and_closes_cleanly()
    {
        var (events, serverCloses, clientClose) = await Run("abnormal");

        Assert.True(IndexOf(events, Role.Server, TraceCategory.Tcp, "(1006, reported locally, never sent") >= 0);
        int clientLost = IndexOf(events, Role.Client, TraceCategory.Tcp, "(1006, reported locally, never sent");
        Assert.True(clientLost >= 0);
        int supervisor = IndexOf(events, Role.Client, TraceCategory.Actor, "ReconnectSupervisor restarts", clientLost);
        int retry = IndexOf(events, Role.Client, TraceCategory.Retry, "reconnect #1", clientLost);
        int reopened = IndexOf(events, Role.Client, TraceCategory.State, "OPEN", retry);
        Assert.True(supervisor > clientLost && retry > clientLost && reopened > retry, "1006, the supervisor's decision, the delay, a new OPEN");
        Assert.True(IndexOf(events, Role.Server, TraceCategory.Actor, "stopping") >= 0, "the first connection's children stop");

        Assert.Equal(CloseCodes.AbnormalClosure, serverCloses[0].Code);
        Assert.False(serverCloses[0].WasClean);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "done", true), serverCloses[1]);
        Assert.Equal(CloseCodes.NormalClosure, clientClose.Code);
        Assert.True(clientClose.WasClean);
    }

    [Fact]
    public async Task Abnormal_scenario_closes_cleanly_even_when_the_connection_is_lost_after_the_last_message()
    {
        // The server drops TCP on the client's last message: after the reconnect only the close is left.
        var (_, serverCloses, clientClose) = await Run("abnormal", "demo.abort-after = 5");

        Assert.Equal(CloseCodes.AbnormalClosure, serverCloses[0].Code);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "done", true), serverCloses[1]);
        Assert.Equal(CloseCodes.NormalClosure, clientClose.Code);
    }

    [Fact]
    public async Task Violation_scenario_gets_1002_then_1007_through_supervision()
    {
        var (events, serverCloses, clientClose) = await Run("violation");

        Assert.Equal([CloseCodes.ProtocolError, CloseCodes.InvalidPayloadData], serverCloses.Select(c => c.Code));
        Assert.True(IndexOf(events, Role.Server, TraceCategory.Actor, "close with 1002") >= 0);
        Assert.True(IndexOf(events, Role.Server, TraceCategory.Actor, "close with 1007") >= 0);
        Assert.True(clientClose.WasClean, clientClose.Reason);
    }

    [Fact]
    public async Task Demo_process_runs_the_reference_scenario_and_exits_0()
    {
        // The demo as a person runs it: the server here and the client as a second process.
        var dll = typeof(DemoRunner).Assembly.Location;
        var config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, """
            demo { client-interval = 100ms, server-interval = 150ms, close-delay = 50ms }
            actorws.keep-alive.ping-interval = 120ms
            """);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--port", FreePort().ToString(), "--config", config })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var log = await output;
        Assert.True(process.ExitCode == 0, log + await errors);
        Assert.Contains("SERVER <- [APP] 'message from CLIENT #5'", log);
        Assert.Contains("CLIENT ·  [STATE] closed with 1000 (normal closure), wasClean=True", log);
    }

    [Fact]
    public void Serve_takes_port_0_for_any_free_port()
    {
        Assert.Equal(0, DemoOptions.Parse(["serve", "--port", "0"]).Port);
    }

    [Theory]
    [InlineData("--port", "x")]
    [InlineData("--port", "0")]
    [InlineData("--scenario", "nope")]
    [InlineData("--bogus")]
    [InlineData("connect", "http://example")]
    public void Bad_command_line_is_one_readable_error(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => DemoOptions.Parse(args));
        Assert.DoesNotContain("\n", e.Message);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
