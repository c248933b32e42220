using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>
/// The base of every hardening test: an actor system of its own (Akka's own log at ERROR only, so
/// that thousands of expected 1002s do not flood the output, and every Error event captured), the
/// settings a test changes on top of the shipped defaults, and the measurements the tests share:
/// live connection actors, open file descriptors.
/// </summary>
public abstract class HardeningKit(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SystemConfig, output: output)
{
    private static readonly Config SystemConfig = ConfigurationFactory.ParseString("""
        akka.loggers = ["Akka.Event.DefaultLogger, Akka"]
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    private static int _names;
    private ErrorLog? _errors;
    private Akka.TestKit.TestProbe? _counter;

    protected ITestOutputHelper Out { get; } = output;

    /// <summary>Every Akka Error log event since <see cref="CaptureErrors"/> was called.</summary>
    protected IReadOnlyCollection<Error> Errors => _errors?.Events ?? (IReadOnlyCollection<Error>)Array.Empty<Error>();

    protected void CaptureErrors()
    {
        _errors = new ErrorLog();
        var collector = Sys.ActorOf(Props.Create(() => new ErrorCollector(_errors)));
        Sys.EventStream.Subscribe(collector, typeof(Error));
    }

    /// <summary>The shipped defaults (config/actorws.hocon) on an ephemeral loopback port, with no
    /// keep-alive pings (a raw peer would have to answer them) and no reconnect, then
    /// <paramref name="extra"/> (HOCON inside <c>actorws { }</c>).</summary>
    protected static WebSocketSettings Settings(string extra = "") => WebSocketSettings.Create(ConfigurationFactory.ParseString($$"""
        actorws {
          host = "127.0.0.1"
          port = 0
          keep-alive.ping-interval = 0s
          reconnect.enabled = off
          {{extra}}
        }
        """));

    protected static string UniqueName(string prefix) => $"{prefix}-{Interlocked.Increment(ref _names)}";

    protected async Task<WebSocketServer> StartServerAsync(WebSocketSettings settings, IActorRef? monitor = null, Props? handler = null)
    {
        var server = await WebSocketServer.StartAsync(Sys, handler ?? EchoHandler.Props(monitor), settings, UniqueName("ws-server"));
        Assert.Equal(IPAddress.Loopback, server.Endpoint.Address);
        return server;
    }

    /// <summary>The server's connection actors that are alive now: every child of
    /// <c>/user/&lt;server&gt;</c> answers an Identify; a quiet period ends the count.</summary>
    protected async Task<int> CountConnectionsAsync(WebSocketServer server)
    {
        // One probe for every count (a probe is a whole test kit: one per count would itself be
        // the growth the churn test looks for); a late answer to an earlier count is told apart by its id.
        _counter ??= CreateTestProbe();
        var id = Guid.NewGuid();
        Sys.ActorSelection(server.Actor.Path / "*").Tell(new Identify(id), _counter.Ref);
        int live = 0;
        await foreach (var answer in _counter.ReceiveWhileAsync<ActorIdentity>(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(300),
                           m => (ActorIdentity)m, int.MaxValue, CancellationToken.None))
            live += answer.Subject is not null && id.Equals(answer.MessageId) ? 1 : 0;
        return live;
    }

    /// <summary>Waits until the server has no connection actor left (every tree stopped).</summary>
    protected async Task AwaitNoConnectionsAsync(WebSocketServer server, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        int live;
        while ((live = await CountConnectionsAsync(server)) > 0)
            Assert.True(DateTime.UtcNow < deadline, $"{live} connection actors of {server.Actor.Path} still alive after {within.TotalSeconds:0} s");
    }

    /// <summary>Entries in /proc/self/fd: every socket, file and pipe this process holds.</summary>
    protected static int OpenFileDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>Waits until at most <paramref name="bound"/> descriptors are open.</summary>
    protected static async Task<int> AwaitFileDescriptorsAtMostAsync(int bound, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        int open;
        while ((open = OpenFileDescriptors()) > bound)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{open} file descriptors open after {within.TotalSeconds:0} s, expected at most {bound}: " +
                string.Join(", ", new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Select(f => f.LinkTarget).GroupBy(t => t?.Split(':')[0]).Select(g => $"{g.Count()} {g.Key}")));
            await Task.Delay(50);
        }
        return open;
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
