using Akka.Actor;
using Akka.Configuration;
using ActorWs.Logging;
using Serilog;
using Serilog.Events;

namespace ActorWs.Demo;

/// <summary>The demo's console: lifecycle events in the reference's shape, one a line, coloured by
/// side on a terminal and plain when redirected; Akka's own log through Serilog.</summary>
public static class DemoConsole
{
    private static readonly object Gate = new();

    public static void Write(string line, bool server, bool error)
    {
        lock (Gate)
        {
            if (Console.IsOutputRedirected)
            {
                Console.WriteLine(line);
                return;
            }
            Console.ForegroundColor = error ? ConsoleColor.Red : server ? ConsoleColor.Cyan : ConsoleColor.Yellow;
            Console.WriteLine(line);
            Console.ResetColor();
        }
    }

    /// <summary>An actor system for one side of the demo, its Akka logging going to Serilog, its
    /// lifecycle events to the console (and to <paramref name="observer"/>, for tests).</summary>
    public static ActorSystem CreateSystem(string name, Config config, Action<LifecycleEvent>? observer = null, bool print = true)
    {
        if (Log.Logger == Serilog.Core.Logger.None)
            Log.Logger = new LoggerConfiguration()
                .MinimumLevel.Warning()
                .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff}] {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}",
                    standardErrorFromLevel: LogEventLevel.Error)
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
            var printer = system.ActorOf(Props.Create(() => new LifecyclePrinter(observer, print)), "lifecycle-log");
            system.EventStream.Subscribe(printer, typeof(LifecycleEvent));
        }
        return system;
    }

}

/// <summary>Subscribed to the event stream: prints each lifecycle event and hands it to an observer (tests).</summary>
public sealed class LifecyclePrinter : ReceiveActor
{
    public LifecyclePrinter(Action<LifecycleEvent>? observer, bool print) => Receive<LifecycleEvent>(e =>
    {
        observer?.Invoke(e);
        if (print)
            DemoConsole.Write(e.ToString(), e.Side == Protocol.Role.Server, e.Direction == Direction.Error);
    });
}
