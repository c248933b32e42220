using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using LogEvent = Serilog.Events.LogEvent;

namespace ActorWs.Demo.Tests;

/// <summary>The demo's Akka log goes to Serilog through Akka.Logger.Serilog, with the level, the
/// class that logged as SourceContext, and the message template kept as a template.</summary>
[Collection(nameof(DemoLoggingTests))]
public sealed class DemoLoggingTests
{
    /// <summary>Completes with the first event whose template is the one looked for.</summary>
    private sealed class TemplateSink(string template) : ILogEventSink
    {
        public TaskCompletionSource<LogEvent> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Emit(LogEvent logEvent)
        {
            if (logEvent.MessageTemplate.Text == template)
                Seen.TrySetResult(logEvent);
        }
    }

    private sealed class Chatty : ReceiveActor
    {
        public Chatty()
        {
            var log = Context.GetLogger();
            Receive<string>(peer => log.Warning("Peer {Peer} sent {Count} frames", peer, 3));
        }
    }

    [Fact]
    public async Task Akka_warnings_reach_Serilog_with_their_level_class_and_template()
    {
        var sink = new TemplateSink("Peer {Peer} sent {Count} frames");
        var previous = Log.Logger;
        Log.Logger = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();
        var system = DemoConsole.CreateSystem("logging", Config.Empty, print: false);
        try
        {
            system.ActorOf(Props.Create(() => new Chatty())).Tell("127.0.0.1");
            var e = await sink.Seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(LogEventLevel.Warning, e.Level);
            Assert.Equal("Peer \"127.0.0.1\" sent 3 frames", e.RenderMessage());
            Assert.Contains(nameof(Chatty), e.Properties["SourceContext"].ToString());
        }
        finally
        {
            await system.Terminate();
            Log.Logger = previous;
        }
    }

    /// <summary>A console that says when a line with a given text has been written.</summary>
    private sealed class WatchedConsole(string awaited) : StringWriter
    {
        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void WriteLine(string? value)
        {
            lock (this)
                base.WriteLine(value);
            if (value?.Contains(awaited, StringComparison.Ordinal) == true)
                Seen.TrySetResult();
        }

        public override string ToString()
        {
            lock (this)
                return base.ToString();
        }
    }

    private sealed class Repeater : ReceiveActor
    {
        public Repeater()
        {
            var log = Context.GetLogger();
            Receive<string>(_ =>
            {
                // What ConnectionActor logs as a child fails; its [ACTOR] line says the same.
                log.Warning("WebSocket {Role} connection {Path}: {Reason}: closing with {Code}", "Server", Self.Path, "a reason", 1002);
                log.Warning("the last warning {Number}", 1);
            });
        }
    }

    [Fact]
    public async Task Akka_warnings_print_in_the_demo_shape_without_the_one_an_ACTOR_line_already_says()
    {
        var previousLogger = Log.Logger;
        var previousOut = Console.Out;
        var console = new WatchedConsole("the last warning");
        Log.Logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Sink(new AkkaLogSink()).CreateLogger();
        Console.SetOut(console);
        var system = DemoConsole.CreateSystem("server", Config.Empty, print: true);
        try
        {
            system.ActorOf(Props.Create(() => new Repeater()), "repeater").Tell("go");
            await console.Seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await system.Terminate();
            Console.SetOut(previousOut);
            Log.Logger = previousLogger;
        }
        var output = console.ToString();
        Assert.Matches(@"\[\d\d:\d\d:\d\d\.\d\d\d\] SERVER !  \[AKKA\] Warning in \S*Repeater: the last warning 1", output);
        Assert.DoesNotContain("closing with", output);
    }
}
