using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>Runs a scenario's sides. Each side is its own ActorSystem; by default the client runs
/// as a second OS process, as client and server would in life.</summary>
public static class DemoRunner
{
    public static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Connections the server sees in a scenario before it is over.</summary>
    public static int ExpectedConnections(string scenario) => scenario == "reference" ? 1 : 2;

    /// <summary>The path the extras scenario's door refuses.</summary>
    public const string PrivatePath = "/private";

    /// <summary>The scenarios' door: every upgrade accepted, except the one the extras scenario has
    /// refused (any status but 101 means no WebSocket, RFC 6455 §4.2.2 item 5 / §4.1).</summary>
    private static readonly UpgradeDecider ScenarioDoor = UpgradeDecider.FromFunction(request =>
        request.Http.Path == PrivatePath
            ? new UpgradeDecision.Reject(403, "this path is private: the demo refuses it on purpose")
            : new UpgradeDecision.Accept());

    public sealed record ServerRun(ActorSystem System, WebSocketServer Server, ScenarioProgress Progress);

    /// <summary>The scenarios' own ActorWs settings (demo.scenario.actorws) under whatever the
    /// configuration sets at the top level.</summary>
    public static Config ForScenario(Config config) => config.WithFallback(config.GetConfig("demo.scenario"));

    public static async Task<ServerRun> StartServerAsync(string scenario, Config config, Action<LifecycleEvent>? observer = null, bool print = true)
    {
        config = ForScenario(config);
        var demo = DemoSettings.From(config);
        var system = DemoConsole.CreateSystem("server", config, observer, print);
        try
        {
            var progress = new ScenarioProgress(ExpectedConnections(scenario));
            var settings = WebSocketSettings.Create(config);
            var server = await WebSocketServer.StartAsync(system,
                Props.Create(() => new ServerScenarioHandler(scenario, demo, progress)), settings, decider: ScenarioDoor);
            return new ServerRun(system, server, progress);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>The client side of a scenario, in this process. Returns how the scenario's last connection closed.</summary>
    public static async Task<Closed> RunClientAsync(string scenario, Config config, Action<LifecycleEvent>? observer = null, bool print = true)
    {
        config = ForScenario(config);
        var demo = DemoSettings.From(config);
        var system = DemoConsole.CreateSystem("client", config, observer, print);
        try
        {
            if (scenario == "violation")
            {
                var codes = await ViolationClient.RunAsync(demo.Url,
                    (d, category, message) => DemoConsole.Say(system, Role.Client, d, category, message, "violation"),
                    TimeSpan.FromSeconds(30));
                bool allRight = codes.SequenceEqual(ViolationClient.Cases.Select(c => c.ExpectedCode));
                return new Closed(codes[^1], allRight ? "each violation got its close code" : "unexpected close codes", allRight);
            }
            if (scenario == "extras")
                return await RunExtrasAsync(system, config, demo);
            var done = new TaskCompletionSource<Closed>(TaskCreationOptions.RunContinuationsAsynchronously);
            var handler = system.ActorOf(Props.Create(() => new ClientScenarioHandler(demo, done, scenario)), "app");
            // In the reference it is the server that pings; the client only answers.
            var settings = WebSocketSettings.Create(config) with { PingInterval = TimeSpan.Zero };
            WebSocketClient.Connect(system, demo.Url, handler, settings);
            return await done.Task.WaitAsync(ScenarioTimeout);
        }
        finally
        {
            // Every line published so far is ahead of this Identify in the printer's mailbox.
            await DemoConsole.DrainAsync(system);
            await system.Terminate();
        }
    }

    /// <summary>The extras: what the reference does not show. A raw client sends a text message in
    /// two frames; ActorWs's client sends a binary message and closes; then it asks for a path the
    /// server's door refuses.</summary>
    private static async Task<Closed> RunExtrasAsync(ActorSystem system, Config config, DemoSettings demo)
    {
        void Say(Direction d, TraceCategory category, string message) =>
            DemoConsole.Say(system, Role.Client, d, category, message, "extras");
        Say(Direction.Local, TraceCategory.App, "1/3 a message in fragments: ActorWs sends whole messages, so a hand-written client sends this one (RFC 6455 §5.4)");
        var echoed = await ViolationClient.SendFragmentedAsync(demo.Url, Say, ScenarioTimeout);

        var settings = WebSocketSettings.Create(config) with { PingInterval = TimeSpan.Zero, ReconnectEnabled = false };
        Say(Direction.Local, TraceCategory.App, "2/3 a binary message: opcode 0x2, bytes that need not be text (RFC 6455 §5.6)");
        var binary = new TaskCompletionSource<Closed>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] bytes = [0x00, 0x01, 0x02, 0xFE, 0xFF];
        var binaryHandler = system.ActorOf(Props.Create(() => new ExtrasClientHandler(binary, bytes)), "binary");
        WebSocketClient.Connect(system, demo.Url, binaryHandler, settings, name: "ws-client-binary");
        var binaryClosed = await binary.Task.WaitAsync(ScenarioTimeout);

        Say(Direction.Local, TraceCategory.App, $"3/3 a refused handshake: asking for {PrivatePath}, which the server's door refuses with 403 (RFC 6455 §4.1: no 101, no WebSocket)");
        var refused = new TaskCompletionSource<Closed>(TaskCreationOptions.RunContinuationsAsynchronously);
        var refusedHandler = system.ActorOf(Props.Create(() => new ExtrasClientHandler(refused, null)), "refused");
        WebSocketClient.Connect(system, new Uri(demo.Url, PrivatePath), refusedHandler, settings, name: "ws-client-refused");
        var refusal = await refused.Task.WaitAsync(ScenarioTimeout);

        bool allRight = echoed == "hello, fragmented world" && binaryClosed is { Code: CloseCodes.NormalClosure, WasClean: true }
                        && refusal.HandshakeFailure?.Refusal?.StatusCode == 403;
        return new Closed(CloseCodes.NormalClosure, allRight ? "fragments, binary and refusal as expected" : "unexpected outcome", allRight);
    }

    /// <summary>The whole scenario: the server here, the client as a child process.</summary>
    public static async Task<int> RunBothAsync(DemoOptions options)
    {
        var config = options.LoadConfig();
        var demo = DemoSettings.From(config);
        var run = await StartServerAsync(options.Scenario, config);
        try
        {
            using var client = StartClientProcess(options, demo);
            if (options.Scenario == "abnormal-kill")
            {
                // Its frame's line, not only its message's: once the frame's line is out, killing the
                // process loses no line the server's receiving lines answer.
                await client.WaitForLinesAsync("CLIENT -> [FRAME] opcode=TEXT", demo.AbortAfter, ScenarioTimeout);
                DemoConsole.Write($"[{DateTime.Now:HH:mm:ss.fff}] DEMO   !  [TCP] killing the client process (pid {client.Id}) mid-conversation: no close frame will be sent", server: true, error: true);
                client.Kill();
                using var second = StartClientProcess(options with { Scenario = "reference" }, demo);
                int secondExit = await second.WaitForExitAsync(ScenarioTimeout);
                var closes = await run.Progress.Done.Task.WaitAsync(ScenarioTimeout);
                return secondExit == 0 && closes[0].Code == CloseCodes.AbnormalClosure ? 0 : 1;
            }
            int exit = await client.WaitForExitAsync(ScenarioTimeout);
            var closed = await run.Progress.Done.Task.WaitAsync(ScenarioTimeout);
            return exit == 0 && ServerSawExpected(options.Scenario, closed) ? 0 : 1;
        }
        finally
        {
            await run.Server.StopAsync();
            await run.System.Terminate();
        }
    }

    public static bool ServerSawExpected(string scenario, IReadOnlyList<Closed> closed) => scenario switch
    {
        "reference" => closed is [{ Code: CloseCodes.NormalClosure, WasClean: true }],
        "abnormal" or "abnormal-kill" => closed is [{ Code: CloseCodes.AbnormalClosure, WasClean: false }, { Code: CloseCodes.NormalClosure, WasClean: true }],
        "violation" => closed.Select(c => c.Code).SequenceEqual([CloseCodes.ProtocolError, CloseCodes.InvalidPayloadData]),
        "extras" => closed.All(c => c is { Code: CloseCodes.NormalClosure, WasClean: true }),
        _ => false,
    };

    public static async Task<int> RunServerOnlyAsync(DemoOptions options)
    {
        var run = await StartServerAsync(options.Scenario, options.LoadConfig());
        try
        {
            var closed = await run.Progress.Done.Task;
            return ServerSawExpected(options.Scenario, closed) ? 0 : 1;
        }
        finally
        {
            await run.Server.StopAsync();
            await run.System.Terminate();
        }
    }

    public static async Task<int> RunClientOnlyAsync(DemoOptions options)
    {
        var closed = await RunClientAsync(options.Scenario, options.LoadConfig());
        return closed.WasClean ? 0 : 1;
    }

    private static ChildProcess StartClientProcess(DemoOptions options, DemoSettings demo)
    {
        var args = new List<string> { "--role", "client", "--scenario", options.Scenario, "--port", demo.Port.ToString(), "--host", demo.Host };
        if (options.ConfigFile is not null)
            args.AddRange(["--config", options.ConfigFile]);
        return ChildProcess.StartSelf(args);
    }
}

/// <summary>This program started again as the client, its output relayed line by line.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static ChildProcess StartSelf(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // It writes its lines with their times, for this process to print in time order with its own.
        info.Environment[DemoConsole.RelayVariable] = "1";
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            info.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        // Nothing the child prints is printed until it says how far it has got (or it ends).
        int source = DemoConsole.Timeline.AddSource();
        var child = new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start the client process"));
        child._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                DemoConsole.Timeline.RemoveSource(source);
            else
                child.Relay(e.Data, error: false, source);
        };
        child._process.ErrorDataReceived += (_, e) => child.Relay(e.Data, error: true, source);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    private void Relay(string? line, bool error, int source)
    {
        if (line is null)
            return;
        var relayed = DemoConsole.ParseRelay(line);
        var demoLine = relayed is { } r ? r.Line : new DemoLine(DateTime.UtcNow, line, false, error);
        if (demoLine is not null)
        {
            lock (_lines)
            {
                _lines.Add(demoLine.Text);
                Monitor.PulseAll(_lines);
            }
            DemoConsole.Add(demoLine);
        }
        if (relayed is { } w)
            DemoConsole.Timeline.Advance(source, w.Time);
    }

    /// <summary>Until <paramref name="count"/> of its lines contain <paramref name="fragment"/>.</summary>
    public Task WaitForLinesAsync(string fragment, int count, TimeSpan timeout) => Task.Run(() =>
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lines)
        {
            while (_lines.Count(l => l.Contains(fragment)) < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || _process.HasExited && !Monitor.Wait(_lines, 100))
                    throw new TimeoutException($"the client never printed '{fragment}'");
                Monitor.Wait(_lines, left);
            }
        }
    });

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
