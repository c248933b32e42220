using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;
using AkkaLogEvent = Akka.Event.LogEvent;
using SerilogLogEvent = Serilog.Events.LogEvent;

namespace ActorWs.Logging;

/// <summary>
/// Bridges Akka's logging to Serilog: named in <c>akka.loggers</c>, it receives Akka's log events
/// and writes them to <see cref="Log.Logger"/> (or the logger given to <see cref="Configure"/>)
/// with the event's own level, timestamp, exception and message template, and the log source as
/// <c>SourceContext</c>. It does what the Akka.Logger.Serilog package does, which this project's
/// package registry does not serve.
/// </summary>
/// <example>
/// <code>
/// akka.loggers = ["ActorWs.Logging.SerilogLogger, ActorWs"]
/// akka.logger-formatter = "ActorWs.Logging.SerilogLogMessageFormatter, ActorWs"
/// </code>
/// </example>
public sealed class SerilogLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static ILogger? s_configured;

    /// <summary>Sets the Serilog logger that every SerilogLogger writes to; <see cref="Log.Logger"/> otherwise.</summary>
    public static void Configure(ILogger? logger) => s_configured = logger;

    private static ILogger Target => s_configured ?? Log.Logger;

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case AkkaLogEvent e:
                Write(e);
                return true;
            default:
                return false;
        }
    }

    private static void Write(AkkaLogEvent e)
    {
        var level = ToSerilog(e.LogLevel());
        var logger = Target;
        if (!logger.IsEnabled(level))
            return;

        var (template, args) = e.Message switch
        {
            LogMessage m => (m.Format, m.Parameters().ToArray()),
            null => ("", []),
            var other => ("{Message:l}", new object[] { other }),
        };
        logger = logger
            .ForContext(Serilog.Core.Constants.SourceContextPropertyName, e.LogSource)
            .ForContext("LogClass", e.LogClass?.Name)
            .ForContext("Thread", e.Thread.ManagedThreadId);
        if (!logger.BindMessageTemplate(template, args, out var parsed, out var properties))
            return;
        logger.Write(new SerilogLogEvent(e.Timestamp, level, e.Cause, parsed, properties));
    }

    public static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.DebugLevel => LogEventLevel.Debug,
        LogLevel.InfoLevel => LogEventLevel.Information,
        LogLevel.WarningLevel => LogEventLevel.Warning,
        LogLevel.ErrorLevel => LogEventLevel.Error,
        _ => LogEventLevel.Information,
    };
}

/// <summary>
/// Formats Akka log messages written as Serilog templates (<c>log.Info("Opened {Peer}", peer)</c>)
/// for any other Akka logger too. Named in <c>akka.logger-formatter</c>.
/// </summary>
public sealed class SerilogLogMessageFormatter : ILogMessageFormatter
{
    private static readonly MessageTemplateParser Parser = new();

    public string Format(string format, params object[] args) => Format(format, (IEnumerable<object>)args);

    public string Format(string format, IEnumerable<object> args)
    {
        var template = Parser.Parse(format);
        var values = args.ToArray();
        var properties = new Dictionary<string, LogEventPropertyValue>();
        int position = 0;
        foreach (var token in template.Tokens.OfType<PropertyToken>())
        {
            int index = token.IsPositional && token.TryGetPositionalValue(out var p) ? p : position++;
            if (index < values.Length && !properties.ContainsKey(token.PropertyName))
                properties[token.PropertyName] = new ScalarValue(values[index]);
        }
        return template.Render(properties);
    }
}
