using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using ActorWs.Logging;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>
/// The base of every hardening test: an actor system of its own (Akka's own log at ERROR only, so
/// that thousands of expected 1002s do not flood the output, and every Error event captured), and
/// the measurements the tests share: live connection actors, the sockets held on the server's port.
/// Settings come from ActorWs.Testing's <see cref="TestSettings"/>, with what a test changes on top.
/// </summary>
public abstract class HardeningKit(ITestOutputHelper output, bool virtualTime = false)
    : Akka.TestKit.Xunit2.TestKit(virtualTime ? AkkaConfig.Quiet + "\n" + AkkaConfig.VirtualTime : AkkaConfig.Quiet, output: output)
{
    private ErrorLog? _errors;

    protected ITestOutputHelper Out { get; } = output;

    /// <summary>The virtual clock of a kit made with <c>virtualTime: true</c>: Akka's timers (close,
    /// FIN-wait, handshake and keep-alive timeouts) fire only when a test advances it; sockets, and
    /// the waits of the tests on them, stay real.</summary>
    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Every Akka Error log event since <see cref="CaptureErrors"/> was called.</summary>
    protected IReadOnlyCollection<Error> Errors => _errors?.Events ?? (IReadOnlyCollection<Error>)Array.Empty<Error>();

    protected void CaptureErrors()
    {
        _errors = new ErrorLog();
        var collector = Sys.ActorOf(Props.Create(() => new ErrorCollector(_errors)));
        Sys.EventStream.Subscribe(collector, typeof(Error));
    }

    protected async Task<WebSocketServer> StartServerAsync(WebSocketSettings settings, IActorRef? monitor = null, Props? handler = null)
    {
        var server = await WebSocketServer.StartAsync(Sys, handler ?? EchoHandler.Props(monitor), settings, UniqueName.For("ws-server"));
        Assert.Equal(IPAddress.Loopback, server.Endpoint.Address);
        return server;
    }

    /// <summary>A probe that gets the lifecycle events (actorws.trace-lifecycle = on) that match
    /// <paramref name="filter"/>, and no others.</summary>
    protected Akka.TestKit.TestProbe TraceProbe(Func<LifecycleEvent, bool> filter)
    {
        var probe = CreateTestProbe();
        LifecycleTap.Subscribe(Sys, e =>
        {
            if (filter(e))
                probe.Tell(e);
        });
        return probe;
    }

    /// <summary>The server's connection actors that are alive now: the children of
    /// <c>/user/&lt;server&gt;</c>, from its children container (an immutable snapshot, which a
    /// child leaves once its stop has completed). Exact, where counting answers to an Identify
    /// needed a quiet period that a loaded machine could outlast.</summary>
    protected static int CountConnections(WebSocketServer server) => ((ActorRefWithCell)server.Actor).Children.Count();

    /// <summary>Waits until the server has no connection actor left (every tree stopped).</summary>
    protected static async Task AwaitNoConnectionsAsync(WebSocketServer server, TimeSpan within) =>
        await AwaitConnectionCountAsync(server, 0, within);

    /// <summary>Waits until the server has exactly <paramref name="expected"/> connection actors.</summary>
    protected static async Task AwaitConnectionCountAsync(WebSocketServer server, int expected, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        int live;
        while ((live = CountConnections(server)) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{live} connection actors of {server.Actor.Path} alive after {within.TotalSeconds:0} s, expected {expected}");
            await Task.Delay(20); // a poll interval: a parent's children send no signal when they go
        }
    }

    /// <summary>Waits until the only TCP socket this process holds on the server's port is its
    /// listener: every connection it accepted has been closed (descriptors of the runtime, other
    /// servers and clients are not counted; see <see cref="ProcessSockets"/>).</summary>
    protected static async Task AwaitOnlyTheListenerAsync(WebSocketServer server, TimeSpan within)
    {
        int port = server.Endpoint.Port;
        var deadline = DateTime.UtcNow + within;
        List<TcpSocketRow> held;
        while ((held = ProcessSockets.OnLocalPort(port)) is not [{ IsListener: true }])
        {
            Assert.True(DateTime.UtcNow < deadline, $"after {within.TotalSeconds:0} s this process still holds {held.Count(s => !s.IsListener)} connections " +
                $"on port {port} (states: {string.Join(", ", held.GroupBy(s => s.State).Select(g => $"{g.Count()} in 0x{g.Key:X2}"))}), expected only the listener");
            await Task.Delay(50); // a poll interval: the kernel sends no signal when a socket goes
        }
    }

    private sealed class ErrorLog
    {
        private readonly ConcurrentQueue<Error> _events = new();
        public IReadOnlyCollection<Error> Events => _events.ToArray();
        public void Add(Error e) => _events.Enqueue(e);
    }

    private sealed class ErrorCollector : ReceiveActor
    {
        public ErrorCollector(ErrorLog log) => Receive<Error>(log.Add);
    }
}
