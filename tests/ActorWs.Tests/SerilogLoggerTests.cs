using Akka.Actor;
using Akka.Event;
using ActorWs.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using LogEvent = Serilog.Events.LogEvent;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>A Serilog sink that keeps events in memory.</summary>
public sealed class InMemorySink : ILogEventSink
{
    public System.Collections.Concurrent.ConcurrentQueue<LogEvent> Events { get; } = new();
    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
}

/// <summary>Akka's logging reaches Serilog through <see cref="SerilogLogger"/> with its level, source and template.</summary>
[Collection(nameof(SerilogLoggerTests))] // SerilogLogger.Configure is process-wide
public sealed class SerilogLoggerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfig.Kit + """

    akka.loggers = ["ActorWs.Logging.SerilogLogger, ActorWs"]
    akka.loglevel = DEBUG
    """, output: output)
{
    private sealed class Chatty : ReceiveActor
    {
        public Chatty()
        {
            var log = Context.GetLogger();
            Receive<string>(s =>
            {
                log.Warning("Peer {Peer} sent {Count} frames", s, 3);
                Sender.Tell("done");
            });
        }
    }

    [Fact]
    public void Akka_log_event_reaches_Serilog_with_level_source_context_and_rendered_template()
    {
        var sink = new InMemorySink();
        var logger = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();
        SerilogLogger.Configure(logger);
        try
        {
            var actor = Sys.ActorOf(Props.Create(() => new Chatty()), "chatty");
            actor.Tell("10.0.0.1");
            ExpectMsg("done");
            AwaitAssert(() => Assert.Contains(sink.Events, e => e.MessageTemplate.Text == "Peer {Peer} sent {Count} frames"), TimeSpan.FromSeconds(5));
            var e = sink.Events.First(e => e.MessageTemplate.Text == "Peer {Peer} sent {Count} frames");
            Assert.Equal(LogEventLevel.Warning, e.Level);
            Assert.Equal(actor.Path.ToString(), ((ScalarValue)e.Properties["SourceContext"]).Value);
            Assert.Equal("Peer \"10.0.0.1\" sent 3 frames", e.RenderMessage());
            Assert.Equal(3, ((ScalarValue)e.Properties["Count"]).Value);
        }
        finally
        {
            SerilogLogger.Configure(null);
        }
    }

    [Fact]
    public void Levels_map_one_to_one()
    {
        Assert.Equal(LogEventLevel.Debug, SerilogLogger.ToSerilog(LogLevel.DebugLevel));
        Assert.Equal(LogEventLevel.Information, SerilogLogger.ToSerilog(LogLevel.InfoLevel));
        Assert.Equal(LogEventLevel.Warning, SerilogLogger.ToSerilog(LogLevel.WarningLevel));
        Assert.Equal(LogEventLevel.Error, SerilogLogger.ToSerilog(LogLevel.ErrorLevel));
    }
}
