using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>
/// <c>web</c>: the teaching demo in a browser. One server serves the page (GET /), feeds it the
/// lifecycle events the console prints (an upgrade on /events), and runs the lessons' connections
/// (any other upgrade): the browser's own, and the hand-written and ActorWs clients the page asks
/// for when a browser cannot do the thing (fragment a message, skip a pong, break a rule).
/// </summary>
public static partial class WebDemo
{
    public const string EventsPath = "/events";
    public const string LessonPath = "/lesson";
    /// <summary>The first connection on this path is dropped just after it opens: the reconnect lesson.</summary>
    public const string DropOncePath = "/drop-once";
    public const string PrivatePath = "/private";

    /// <summary>The web demo's own timings, under whatever --config sets: pings often enough to see,
    /// a pong timeout short enough to wait for, and reconnect delays long enough to watch count down.</summary>
    private static readonly Config WebTimings = ConfigurationFactory.ParseString("""
        actorws {
          keep-alive { ping-interval = 4s, pong-timeout = 3s }
          reconnect { min-backoff = 1s, first-delay-max = 3s, max-backoff = 8s }
        }
        """);

    public static async Task<int> RunAsync(DemoOptions options)
    {
        // --config first, then these timings, then the scenarios' settings (demo.scenario.actorws).
        var given = options.LoadConfig();
        var config = given.WithFallback(WebTimings).WithFallback(given.GetConfig("demo.scenario"));
        var observers = new ConcurrentDictionary<string, bool>();
        var system = DemoConsole.CreateSystem("server", config, print: !options.Quiet, show: e => !observers.ContainsKey(e.Connection));
        try
        {
            var settings = WebSocketSettings.Create(config);
            var lessons = new Lessons(system, settings);
            var page = Page();
            var decider = UpgradeDecider.FromFunction(request => Decide(request, page, observers, lessons));
            var server = await WebSocketServer.StartAsync(system, LessonHandler.Props(lessons, drop: false), settings, decider: decider);
            lessons.Url = new Uri($"ws://{LifecycleEvent.Address(server.Endpoint)}");
            // Scripts and tests wait for this line.
            Console.WriteLine($"LISTENING {server.Endpoint.Port} open http://{LifecycleEvent.Address(server.Endpoint)}/ in a browser (Ctrl+C to stop)");
            var stop = new TaskCompletionSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.TrySetResult();
            };
            await Task.WhenAny(stop.Task, system.WhenTerminated);
            await server.StopAsync();
            return 0;
        }
        finally
        {
            await system.Terminate();
        }
    }

    public static UpgradeDecision Decide(UpgradeRequest request, string page, ConcurrentDictionary<string, bool> observers, Lessons lessons) => request switch
    {
        { IsUpgrade: false, Http.Path: "/" } => new UpgradeDecision.Respond(200, page, "text/html; charset=utf-8"),
        { IsUpgrade: false, Http: { Path: "/healthz", Method: "GET" or "HEAD" } } => new UpgradeDecision.Respond(200, "ok\n"),
        { IsUpgrade: false } => new UpgradeDecision.Respond(404, "not found: the page is at /\n"),
        { Http.Path: EventsPath } => new UpgradeDecision.Accept(Handler: EventsHandler.Props(observers, lessons)),
        // The refused-handshake lesson: any status but 101 and there is no WebSocket (RFC 6455 §4.1).
        { Http.Path: PrivatePath } => new UpgradeDecision.Reject(403, "this path is private: the demo refuses it on purpose"),
        { Http.Path: DropOncePath } => new UpgradeDecision.Accept(Handler: LessonHandler.Props(lessons, drop: true)),
        _ => new UpgradeDecision.Accept(),
    };

    /// <summary>The page, from the assembly: no file to find, nothing fetched from elsewhere.</summary>
    public static string Page()
    {
        using var stream = typeof(WebDemo).Assembly.GetManifestResourceStream("ActorWs.Demo.web.index.html")
            ?? throw new InvalidOperationException("the page is not embedded in the demo");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^conn-\d+$")]
    internal static partial Regex ConnectionId();

    /// <summary>An event as the page reads it.</summary>
    public static string ToJson(LifecycleEvent e) => JsonSerializer.Serialize(new
    {
        type = "event",
        time = e.Timestamp.ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture),
        side = e.SideName,
        dir = LifecycleEvent.Arrow(e.Direction).Trim(),
        tag = LifecycleEvent.Tag(e.Category),
        msg = e.Message,
        conn = e.Connection,
        facts = e.Facts,
        line = e.ToString(),
    });
}

/// <summary>
/// The page's feed: every lifecycle event of the server's actor system, as JSON, in the order
/// published (one subscriber, one mailbox), except those of the feeds themselves — each frame a
/// feed sends is itself an event, which it would otherwise send again, for ever. It also takes the
/// page's commands for the lessons.
/// </summary>
public sealed class EventsHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;
    private readonly string _id;
    private readonly ConcurrentDictionary<string, bool> _observers;

    public EventsHandler(ConcurrentDictionary<string, bool> observers, Lessons lessons)
    {
        _observers = observers;
        // The handler is the connection actor's child: conn-N is its parent's name, the events' Connection.
        _id = Context.Parent.Path.Name;
        observers[_id] = true;
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            // Subscribed before the hello: the page opens its lesson connections only once it has the
            // hello, so none of their events can be published before this feed hears them.
            Context.System.EventStream.Subscribe(Self, typeof(LifecycleEvent));
            _connection.Tell(new SendText(JsonSerializer.Serialize(new
            {
                type = "hello",
                observer = _id,
                pingIntervalMs = (long)lessons.Settings.PingInterval.TotalMilliseconds,
                pongTimeoutMs = (long)lessons.Settings.PongTimeout.TotalMilliseconds,
            })));
        });
        Receive<LifecycleEvent>(e =>
        {
            if (!_observers.ContainsKey(e.Connection))
                _connection.Tell(new SendText(WebDemo.ToJson(e)));
        });
        Receive<TextReceived>(m => lessons.Command(m.Text));
        Receive<Closed>(_ => Context.Stop(Self));
        ReceiveAny(_ => { });
    }

    public static Props Props(ConcurrentDictionary<string, bool> observers, Lessons lessons) =>
        Akka.Actor.Props.Create(() => new EventsHandler(observers, lessons));

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _observers.TryRemove(_id, out _);
    }
}

/// <summary>The handler of a lesson's connection: an echo (text as text, binary as binary) that
/// obeys the page's faults. <c>drop</c>: the reconnect lesson's first connection, dropped once open.</summary>
public sealed class LessonHandler : ReceiveActor
{
    /// <summary>A fault or an action the page asked for, on this connection.</summary>
    public sealed record Do(string What);

    private IActorRef _connection = ActorRefs.Nobody;

    public LessonHandler(Lessons lessons, bool drop)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            if (drop && lessons.TakeDrop())
                Self.Tell(new Do("abort"));
        });
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Do>(d =>
        {
            switch (d.What)
            {
                case "abort":
                    lessons.Say(Role.Server, Direction.Error, TraceCategory.App, "the page asked: cut TCP with no close frame (the peer sees 1006, RFC 6455 §7.1.5)");
                    _connection.Tell(Abort.Instance);
                    break;
                case "throw":
                    lessons.Say(Role.Server, Direction.Error, TraceCategory.App, "the page asked: the handler throws; its supervisor, the connection actor, decides");
                    throw new InvalidOperationException("the handler failed on purpose (the page asked)");
                case "ping":
                    lessons.Say(Role.Server, Direction.Sent, TraceCategory.App, "the page asked: the server pings (a browser's script cannot send a ping; its browser answers one, RFC 6455 §5.5.2)");
                    _connection.Tell(new SendPing("from the page"u8.ToArray()));
                    break;
            }
        });
        Receive<Closed>(_ => Context.Stop(Self));
        ReceiveAny(_ => { });
    }

    public static Props Props(Lessons lessons, bool drop) => Akka.Actor.Props.Create(() => new LessonHandler(lessons, drop));
}

/// <summary>The lessons the page can start: faults on a connection, and clients started here for
/// what a browser cannot do.</summary>
public sealed class Lessons(ActorSystem system, WebSocketSettings settings)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private int _drop;
    private int _clients;

    public WebSocketSettings Settings => settings;
    public Uri Url { get; set; } = new("ws://127.0.0.1/");

    public void Say(Role side, Direction direction, TraceCategory category, string message) =>
        DemoConsole.Say(system, side, direction, category, message, "lesson");

    internal bool TakeDrop() => Interlocked.Exchange(ref _drop, 0) == 1;

    /// <summary>A command from the page: <c>{"cmd": "...", "conn": "conn-N"}</c>.</summary>
    public void Command(string json)
    {
        string? cmd, conn;
        try
        {
            using var doc = JsonDocument.Parse(json);
            cmd = doc.RootElement.TryGetProperty("cmd", out var c) ? c.GetString() : null;
            conn = doc.RootElement.TryGetProperty("conn", out var n) ? n.GetString() : null;
        }
        catch (JsonException)
        {
            return;
        }
        switch (cmd)
        {
            case "abort" or "throw" or "ping" when conn is not null && WebDemo.ConnectionId().IsMatch(conn):
                system.ActorSelection($"/user/ws-server/{conn}/handler").Tell(new LessonHandler.Do(cmd));
                break;
            case "silent":
                Run("a peer that never answers a ping (a browser always does, so a hand-written peer stands in): " +
                    $"the server's pinger expects a pong within {settings.PongTimeout.TotalSeconds:0.#} s (RFC 6455 §5.5.2)", SilentPeerAsync);
                break;
            case "unmasked":
                Run("a frame a client did not mask (RFC 6455 §5.1); a browser always masks", () => ViolationClient.RunCaseAsync(LessonUrl, ViolationClient.Unmasked, Log, Patience));
                break;
            case "utf8":
                Run("a text message that is not UTF-8 (RFC 6455 §8.1); a browser only sends valid text", () => ViolationClient.RunCaseAsync(LessonUrl, ViolationClient.InvalidUtf8, Log, Patience));
                break;
            case "opcode":
                Run("a frame with the reserved opcode 0x3 (RFC 6455 §5.2)", () => ViolationClient.RunCaseAsync(LessonUrl, ViolationClient.UnknownOpcode, Log, Patience));
                break;
            case "fragment":
                Run("a message in two frames, TEXT fin=0 then CONTINUATION fin=1 (RFC 6455 §5.4); a browser's script cannot choose to fragment",
                    () => ViolationClient.SendFragmentedAsync(LessonUrl, Log, Patience));
                break;
            case "reconnect":
                Reconnect();
                break;
        }
    }

    private Uri LessonUrl => new(Url, WebDemo.LessonPath);

    private void Log(Direction direction, TraceCategory category, string message) => Say(Role.Client, direction, category, message);

    private void Run(string what, Func<Task> lesson)
    {
        Say(Role.Client, Direction.Local, TraceCategory.App, $"a hand-written client connects to send {what}");
        _ = Task.Run(async () =>
        {
            try
            {
                await lesson();
            }
            catch (Exception e)
            {
                Say(Role.Client, Direction.Error, TraceCategory.App, $"the lesson's client failed: {e.Message}");
            }
        });
    }

    private async Task SilentPeerAsync()
    {
        using var cts = new CancellationTokenSource(Patience);
        using var peer = await RawPeer.ConnectAsync(LessonUrl, Log, cts.Token);
        // Reads (and logs) the server's pings without answering them, until the server gives up.
        var code = await peer.FinishCloseAsync(cts.Token);
        Log(Direction.Local, TraceCategory.State, $"CLOSED: the server gave up on the silent peer with {code} ({CloseCodes.Describe(code)})");
    }

    /// <summary>ActorWs's own client, reconnect on, to a path whose first connection the server
    /// drops: the page watches the backoff delay count down, then the new connection open and close.</summary>
    private void Reconnect()
    {
        Interlocked.Exchange(ref _drop, 1);
        int n = Interlocked.Increment(ref _clients);
        Say(Role.Client, Direction.Local, TraceCategory.App, $"an ActorWs client (reconnect on) connects to {WebDemo.DropOncePath}, whose first connection the server drops");
        var handler = system.ActorOf(Akka.Actor.Props.Create(() => new ReconnectLessonHandler()), $"reconnect-lesson-{n}");
        WebSocketClient.Connect(system, new Uri(Url, WebDemo.DropOncePath), handler, settings with { PingInterval = TimeSpan.Zero }, name: $"ws-client-{n}");
    }
}

/// <summary>The reconnect lesson's client handler: after the reconnect, one message and a clean close.</summary>
public sealed class ReconnectLessonHandler : ReceiveActor
{
    public ReconnectLessonHandler()
    {
        IActorRef connection = ActorRefs.Nobody;
        bool reconnected = false;
        Receive<Reconnecting>(_ => reconnected = true);
        Receive<Opened>(o =>
        {
            connection = o.Connection;
            if (reconnected)
                connection.Tell(new SendText("back after the reconnect"));
        });
        Receive<TextReceived>(_ => connection.Tell(new Close(CloseCodes.NormalClosure, "lesson over")));
        Receive<Closed>(c =>
        {
            if (!c.WillReconnect)
                Context.Stop(Self);
        });
        ReceiveAny(_ => { });
    }
}
