using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using ActorWs.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace ActorWs.Demo;

/// <summary>One line of the demo's log: when it happened, its text, and how to colour it.</summary>
public sealed record DemoLine(DateTime Time, string Text, bool Server, bool Error);

/// <summary>
/// The demo's console: lifecycle events in the reference's shape, one a line, coloured by side on a
/// terminal and plain when redirected; Akka's own log in the same shape.
/// <para>The lines go through a <see cref="Timeline"/> that prints them in the order they happened,
/// across both processes of a scenario: the client process (started with <see cref="RelayVariable"/>)
/// writes each line with its time as a <see cref="RelayPrefix"/> line, and the parent merges them
/// with its own. A frame is traced before it is written and after it is read, so in time order a
/// sent line always comes before the line that receives it.</para>
/// </summary>
public static class DemoConsole
{
    /// <summary>A line of the demo's own (a scenario's step, a lesson), published as a lifecycle event
    /// in the same order as the library's (<see cref="LifecycleOrder"/>), so that it is merged in its place.</summary>
    public static void Say(ActorSystem system, Protocol.Role side, Direction direction, TraceCategory category, string message, string source) =>
        LifecycleOrder.Stamped(now => system.EventStream.Publish(new LifecycleEvent(now, side, direction, category, message, source)));

    /// <summary>Set in the client process a scenario starts: it relays its lines to the parent.</summary>
    public const string RelayVariable = "ACTORWS_DEMO_RELAY";

    /// <summary><c>@@ TICKS s|c n|e TEXT</c> (a line: server or client, normal or error) or
    /// <c>@@ TICKS w</c> (a watermark: every line up to TICKS has been written).</summary>
    public const string RelayPrefix = "@@ ";

    private static readonly object Gate = new();

    public static bool Relaying { get; } = Environment.GetEnvironmentVariable(RelayVariable) == "1";

    /// <summary>This process's lines, merged in time order with those of the processes it relays.</summary>
    public static Timeline Timeline { get; } = new(Print);

    /// <summary>True once lifecycle events are printed: Akka's warnings that repeat an [ACTOR] line are then left out.</summary>
    internal static bool LifecycleShown { get; private set; }

    /// <summary>A line of this process, stamped now.</summary>
    public static void Write(string line, bool server, bool error) => Add(new DemoLine(DateTime.UtcNow, line, server, error));

    public static void Add(DemoLine line)
    {
        if (Relaying)
            Relay($"{RelayPrefix}{line.Time.Ticks} {(line.Server ? 's' : 'c')} {(line.Error ? 'e' : 'n')} {line.Text}");
        else
            Timeline.Add(line);
    }

    /// <summary>In the client process: every line of this process up to <paramref name="time"/> has been written.</summary>
    internal static void Watermark(DateTime time)
    {
        if (Relaying)
            Relay($"{RelayPrefix}{time.Ticks} w");
    }

    private static void Relay(string line)
    {
        lock (Gate)
            Console.Out.WriteLine(line);
    }

    /// <summary>Parses a relayed line; null when it is no relay line (it is then printed as it came).</summary>
    public static (DateTime Time, DemoLine? Line)? ParseRelay(string line)
    {
        if (!line.StartsWith(RelayPrefix, StringComparison.Ordinal))
            return null;
        var parts = line[RelayPrefix.Length..].Split(' ', 4);
        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            return null;
        var time = new DateTime(ticks, DateTimeKind.Utc);
        if (parts is [_, "w"])
            return (time, null);
        return parts.Length == 4 ? (time, new DemoLine(time, parts[3], parts[1] == "s", parts[2] == "e")) : null;
    }

    /// <summary>Prints whatever the timeline still holds: at the end of the program.</summary>
    public static void Complete() => Timeline.FlushAll();

    /// <summary>Returns once the printer has handled every lifecycle event published before the call
    /// (they are ahead of the Identify in its mailbox); at once when the system has no printer.</summary>
    public static async Task DrainAsync(ActorSystem system)
    {
        try
        {
            await system.ActorSelection("/user/lifecycle-log").Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        }
        catch (AskTimeoutException)
        {
            // A printer that does not answer in 10 s is stuck: the lines it holds are not worth a hang.
        }
    }

    private static void Print(DemoLine line)
    {
        lock (Gate)
        {
            if (Console.IsOutputRedirected)
            {
                Console.WriteLine(line.Text);
                return;
            }
            Console.ForegroundColor = line.Error ? ConsoleColor.Red : line.Server ? ConsoleColor.Cyan : ConsoleColor.Yellow;
            Console.WriteLine(line.Text);
            Console.ResetColor();
        }
    }

    /// <summary>An actor system for one side of the demo, its Akka logging going to Serilog, its
    /// lifecycle events to the console (and to <paramref name="observer"/>, for tests);
    /// <paramref name="show"/> chooses which are printed (all when null).</summary>
    public static ActorSystem CreateSystem(string name, Config config, Action<LifecycleEvent>? observer = null, bool print = true,
        Func<LifecycleEvent, bool>? show = null)
    {
        if (Log.Logger == Serilog.Core.Logger.None)
            Log.Logger = new LoggerConfiguration()
                .MinimumLevel.Warning()
                .WriteTo.Sink(new AkkaLogSink())
                .CreateLogger();
        var akka = ConfigurationFactory.ParseString("""
            akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
            akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
            akka.loglevel = WARNING
            akka.stdout-loglevel = OFF
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            """);
        var system = ActorSystem.Create(name, config.WithFallback(akka));
        if (print || observer is not null)
        {
            if (print)
                LifecycleShown = true;
            var printer = system.ActorOf(Props.Create(() => new LifecyclePrinter(observer, print, show)), "lifecycle-log");
            system.EventStream.Subscribe(printer, typeof(LifecycleEvent));
        }
        return system;
    }
}

/// <summary>
/// Lines from several sources (this process's printers, a child process), printed in time order: a
/// line is held until every source has said it has nothing older to come (its watermark), so the
/// client's sent line, relayed through a pipe, is not overtaken by the server's received line.
/// </summary>
public sealed class Timeline(Action<DemoLine> print)
{
    private readonly object _gate = new();
    private readonly SortedList<(DateTime Time, long Seq), DemoLine> _pending = new();
    private readonly Dictionary<int, DateTime> _watermarks = new();
    private int _nextSource;
    private long _seq;

    /// <summary>A source of lines; nothing newer than its watermark (none yet) is printed until it advances.</summary>
    public int AddSource()
    {
        lock (_gate)
        {
            _watermarks[++_nextSource] = DateTime.MinValue;
            return _nextSource;
        }
    }

    public void Advance(int source, DateTime watermark)
    {
        lock (_gate)
        {
            if (_watermarks.TryGetValue(source, out var old) && watermark > old)
                _watermarks[source] = watermark;
            Flush();
        }
    }

    /// <summary>The source is done (its process ended, its printer stopped): it holds nothing back.</summary>
    public void RemoveSource(int source)
    {
        lock (_gate)
        {
            _watermarks.Remove(source);
            Flush();
        }
    }

    public void Add(DemoLine line)
    {
        lock (_gate)
        {
            _pending.Add((line.Time, ++_seq), line);
            Flush();
        }
    }

    public void FlushAll()
    {
        lock (_gate)
        {
            foreach (var line in _pending.Values)
                print(line);
            _pending.Clear();
        }
    }

    private void Flush()
    {
        var limit = _watermarks.Count == 0 ? DateTime.MaxValue : _watermarks.Values.Min();
        while (_pending.Count > 0 && _pending.Keys[0].Time <= limit)
        {
            var line = _pending.Values[0];
            _pending.RemoveAt(0);
            print(line);
        }
    }
}

/// <summary>Subscribed to the event stream: prints each lifecycle event and hands it to an observer (tests).</summary>
public sealed class LifecyclePrinter : ReceiveActor
{
    private sealed record Watermark(DateTime Time);

    private readonly int _source;
    private readonly Timer? _timer;

    public LifecyclePrinter(Action<LifecycleEvent>? observer, bool print, Func<LifecycleEvent, bool>? show)
    {
        if (print)
        {
            _source = DemoConsole.Timeline.AddSource();
            // Stamped and sent in the one order lifecycle events are stamped and published in
            // (LifecycleOrder): every event stamped before the watermark is ahead of it in this FIFO
            // mailbox, every event behind it is stamped later, however the threads were scheduled.
            var self = Self;
            _timer = new Timer(_ => LifecycleOrder.Stamped(now => self.Tell(new Watermark(now))), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        }
        Receive<LifecycleEvent>(e =>
        {
            observer?.Invoke(e);
            if (print && (show is null || show(e)))
                DemoConsole.Add(new DemoLine(e.Timestamp, e.ToString(), e.Side == Protocol.Role.Server, e.Direction == Direction.Error));
        });
        Receive<Watermark>(w =>
        {
            if (DemoConsole.Relaying)
                DemoConsole.Watermark(w.Time);
            else
                DemoConsole.Timeline.Advance(_source, w.Time);
        });
    }

    protected override void PostStop()
    {
        _timer?.Dispose();
        if (_timer is not null && !DemoConsole.Relaying)
            DemoConsole.Timeline.RemoveSource(_source);
    }
}

/// <summary>
/// Akka's own log (through Akka.Logger.Serilog) in the demo's shape: <c>[time] SERVER !  [AKKA]
/// Warning in ConnectionActor: …</c>. A connection's warning about a failed child is left out while
/// lifecycle events are printed: the [ACTOR] line has already said which child failed, why, and the
/// close code.
/// </summary>
public sealed class AkkaLogSink : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        if (DemoConsole.LifecycleShown && logEvent.MessageTemplate.Text.StartsWith("WebSocket {Role} connection {Path}:", StringComparison.Ordinal))
            return;
        var source = Property(logEvent, "SourceContext") ?? Property(logEvent, "LogSource") ?? "akka";
        var path = (Property(logEvent, "ActorPath") ?? "") + (Property(logEvent, "LogSource") ?? "");
        var side = path.Contains("://client", StringComparison.Ordinal) ? "CLIENT" : "SERVER";
        var message = logEvent.RenderMessage(CultureInfo.InvariantCulture).ReplaceLineEndings(" ");
        if (logEvent.Exception is { } e)
            message += $" ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")})";
        var time = logEvent.Timestamp.UtcDateTime;
        var text = $"[{time.ToLocalTime():HH:mm:ss.fff}] {side} !  [AKKA] {logEvent.Level} in {source[(source.LastIndexOf('.') + 1)..]}: {message}";
        DemoConsole.Add(new DemoLine(time, text, side == "SERVER", true));
    }

    private static string? Property(LogEvent logEvent, string name) =>
        logEvent.Properties.TryGetValue(name, out var value) ? (value is ScalarValue { Value: string s } ? s : value.ToString().Trim('"')) : null;
}
