using Akka.Actor;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>The server side of the scenarios: its own messages on its own timer, independent of
/// the client's (full duplex), and in "abnormal" a dropped TCP connection on the first connection.</summary>
public sealed class ServerScenarioHandler : ReceiveActor, IWithTimers
{
    private sealed record Tick;

    private IActorRef _connection = ActorRefs.Nobody;
    private int _sent;
    private int _received;
    private int _connectionNumber;

    public ITimerScheduler Timers { get; set; } = null!;

    public ServerScenarioHandler(string scenario, DemoSettings demo, ScenarioProgress progress)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            _connectionNumber = progress.ConnectionOpened();
            if (scenario is not ("violation" or "extras"))
                Timers.StartPeriodicTimer("tick", new Tick(), demo.ServerInterval);
        });
        // extras: the messages come back as they came, text as text and binary as binary.
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Tick>(_ => _connection.Tell(new SendText($"message from SERVER #{++_sent}")));
        Receive<TextReceived>(m =>
        {
            if (scenario == "extras")
                _connection.Tell(new SendText(m.Text));
            if (scenario == "abnormal" && _connectionNumber == 1 && ++_received == demo.AbortAfter)
            {
                Say(Context.System, Role.Server, Direction.Error, TraceCategory.App, "simulating a lost network: dropping TCP with no close frame");
                _connection.Tell(Abort.Instance);
            }
        });
        Receive<Closed>(c =>
        {
            Timers.CancelAll();
            progress.ConnectionClosed(c);
            Context.Stop(Self);
        });
        ReceiveAny(_ => { });
    }

    public static void Say(ActorSystem system, Role side, Direction direction, TraceCategory category, string message) =>
        DemoConsole.Say(system, side, direction, category, message, "demo");
}

/// <summary>The client side: a message every interval; after the last, a close with 1000. Across a
/// reconnect it carries on counting, so the scenario still ends after the configured number.</summary>
public sealed class ClientScenarioHandler : ReceiveActor, IWithTimers
{
    private sealed record Tick;
    private sealed record CloseNow;

    private IActorRef _connection = ActorRefs.Nobody;
    private int _sent;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Tries to reach a server that never answered before the client gives up: the
    /// backoff would otherwise retry for ever, with a screenful of lines a try.</summary>
    public const int TriesWithoutServer = 3;

    private bool _everOpened;
    private int _failedTries;

    public ClientScenarioHandler(DemoSettings demo, TaskCompletionSource<Closed> done, string scenario = "reference")
    {
        Receive<Opened>(o =>
        {
            _everOpened = true;
            _connection = o.Connection;
            // After a reconnect every message may already be out (the connection was lost after
            // the last one, before the close): then only the close is left to do.
            if (_sent >= demo.ClientMessages)
                Timers.StartSingleTimer("close", new CloseNow(), demo.CloseDelay);
            else
                Timers.StartPeriodicTimer("tick", new Tick(), demo.ClientInterval);
        });
        Receive<Tick>(_ =>
        {
            if (_sent >= demo.ClientMessages)
                return;
            _connection.Tell(new SendText($"message from CLIENT #{++_sent}"));
            if (_sent == demo.ClientMessages)
            {
                Timers.Cancel("tick");
                Timers.StartSingleTimer("close", new CloseNow(), demo.CloseDelay);
            }
        });
        Receive<CloseNow>(_ =>
        {
            ServerScenarioHandler.Say(Context.System, Role.Client, Direction.Sent, TraceCategory.App, $"initiating the close: 1000 '{demo.CloseReason}' (RFC 6455 §7.1.2)");
            _connection.Tell(new Close(CloseCodes.NormalClosure, demo.CloseReason));
        });
        Receive<Closed>(c =>
        {
            Timers.CancelAll();
            if (!_everOpened && ++_failedTries >= TriesWithoutServer)
            {
                ServerScenarioHandler.Say(Context.System, Role.Client, Direction.Error, TraceCategory.Retry,
                    $"no server at {demo.Url} after {_failedTries} tries: giving up instead of reconnecting. Start one in another terminal with " +
                    $"'dotnet run --project src/ActorWs.Demo -- --role server --scenario {scenario} --port {demo.Port}', " +
                    "or run both sides with 'dotnet run --project src/ActorWs.Demo'");
                done.TrySetResult(c with { WillReconnect = false });
            }
            else if (!c.WillReconnect)
                done.TrySetResult(c);
        });
        ReceiveAny(_ => { });
    }
}

/// <summary>The extras' ActorWs client: sends one binary message, closes with 1000 once it is
/// echoed; or (no bytes) only reports how the connection ended, for the refused handshake.</summary>
public sealed class ExtrasClientHandler : ReceiveActor
{
    public ExtrasClientHandler(TaskCompletionSource<Closed> done, byte[]? bytes)
    {
        IActorRef connection = ActorRefs.Nobody;
        Receive<Opened>(o =>
        {
            connection = o.Connection;
            if (bytes is not null)
                connection.Tell(new SendBinary(bytes));
        });
        Receive<BinaryReceived>(_ =>
        {
            ServerScenarioHandler.Say(Context.System, Role.Client, Direction.Sent, TraceCategory.App, "initiating the close: 1000 'done' (RFC 6455 §7.1.2)");
            connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        });
        Receive<Closed>(c => done.TrySetResult(c));
        ReceiveAny(_ => { });
    }
}

/// <summary>What the server side has seen; complete when the scenario's last connection closed.</summary>
public sealed class ScenarioProgress(int expectedConnections)
{
    private readonly List<Closed> _closed = [];
    private int _opened;

    public TaskCompletionSource<IReadOnlyList<Closed>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ConnectionOpened() => Interlocked.Increment(ref _opened);

    public void ConnectionClosed(Closed closed)
    {
        lock (_closed)
        {
            _closed.Add(closed);
            if (_closed.Count >= expectedConnections)
                Done.TrySetResult(_closed.ToList());
        }
    }
}
