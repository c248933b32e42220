using Akka.Actor;
using Akka.Configuration;
using ActorWs.Logging;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>One actor system for the whole test assembly (test classes run in parallel on it), and
/// the settings the tests use.</summary>
public static class TestSystem
{
    private static readonly Lazy<ActorSystem> LazySystem = new(Create);
    private static int _names;

    public static ActorSystem System => LazySystem.Value;

    /// <summary>The shipped defaults (config/actorws.hocon), with only what a deterministic test needs
    /// changed: an ephemeral loopback port, no keep-alive pings (a raw peer would see them as
    /// unexpected frames) and no reconnect (a test wants one connection and one Closed).</summary>
    public static WebSocketSettings Settings { get; } = SettingsWith("");

    /// <summary>The tests' settings with <paramref name="hocon"/> on top.</summary>
    public static WebSocketSettings SettingsWith(string hocon) => WebSocketSettings.Create(ConfigurationFactory.ParseString($$"""
        actorws {
          host = "127.0.0.1"
          port = 0
          keep-alive.ping-interval = 0s
          reconnect.enabled = off
          trace-lifecycle = {{(TraceFile is null ? "off" : "on")}}
        }
        {{hocon}}
        """));

    /// <summary>Set ACTORWS_CONFORMANCE_TRACE to a file path to get every connection's lifecycle log
    /// there (for debugging a failing case).</summary>
    private static string? TraceFile => Environment.GetEnvironmentVariable("ACTORWS_CONFORMANCE_TRACE");

    /// <summary>A unique actor name, for servers and clients started side by side.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Interlocked.Increment(ref _names)}";

    private const string QuietAkka = """
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """;

    /// <summary>An actor system of its own whose clock moves only when the test advances it.</summary>
    public static ActorSystem CreateVirtualTimeSystem() => ActorSystem.Create(UniqueName("virtual-time"),
        ConfigurationFactory.ParseString(QuietAkka + "\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\""));

    private static ActorSystem Create()
    {
        var system = ActorSystem.Create("conformance", ConfigurationFactory.ParseString(QuietAkka));
        if (TraceFile is { } path)
        {
            var writer = TextWriter.Synchronized(new StreamWriter(path, append: false) { AutoFlush = true });
            var subscriber = system.ActorOf(Props.Create(() => new TraceWriter(writer)));
            system.EventStream.Subscribe(subscriber, typeof(LifecycleEvent));
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => system.Terminate().Wait(TimeSpan.FromSeconds(5));
        return system;
    }

    private sealed class TraceWriter : ReceiveActor
    {
        public TraceWriter(TextWriter writer) => Receive<LifecycleEvent>(e => writer.WriteLine($"{e.Connection,-14} {e}"));
    }
}
