using Akka.Actor;
using Akka.Configuration;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>One actor system for the whole test assembly (test classes run in parallel on it), and
/// the settings the tests use.</summary>
public static class TestSystem
{
    private static readonly Lazy<ActorSystem> LazySystem = new(Create);

    public static ActorSystem System => LazySystem.Value;

    /// <summary>Set ACTORWS_CONFORMANCE_TRACE to a file path to get every connection's lifecycle log
    /// there (for debugging a failing case).</summary>
    private static string? TraceFile => Environment.GetEnvironmentVariable("ACTORWS_CONFORMANCE_TRACE");

    /// <summary>Whether the lifecycle trace is on: only when it is written to <see cref="TraceFile"/>.</summary>
    public static bool Tracing => TraceFile is not null;

    /// <summary>The kit's settings (<see cref="TestSettings.Create"/>), traced when <see cref="Tracing"/>.</summary>
    public static WebSocketSettings Settings { get; } = TestSettings.Create(traceLifecycle: Tracing);

    /// <summary>An actor system of its own whose clock moves only when the test advances it.</summary>
    public static ActorSystem CreateVirtualTimeSystem() => ActorSystem.Create(UniqueName.For("virtual-time"),
        ConfigurationFactory.ParseString(AkkaConfig.Quiet + "\n" + AkkaConfig.VirtualTime));

    private static ActorSystem Create()
    {
        var system = ActorSystem.Create("conformance", ConfigurationFactory.ParseString(AkkaConfig.Quiet));
        if (TraceFile is { } path)
        {
            var writer = TextWriter.Synchronized(new StreamWriter(path, append: false) { AutoFlush = true });
            LifecycleTap.Subscribe(system, e => writer.WriteLine($"{e.Connection,-14} {e}"));
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => system.Terminate().Wait(TimeSpan.FromSeconds(5));
        return system;
    }
}
