using System.Text;
using Akka.Actor;
using Akka.Event;
using ActorWs.Protocol;

namespace ActorWs.Logging;

/// <summary>Direction of a lifecycle event, as the demo's log shows it.</summary>
public enum Direction
{
    /// <summary><c>-&gt;</c> sent to the peer.</summary>
    Sent,
    /// <summary><c>&lt;-</c> received from the peer.</summary>
    Received,
    /// <summary><c>·</c> a local event.</summary>
    Local,
    /// <summary><c>!</c> an error.</summary>
    Error,
}

/// <summary>
/// One step in a connection's life (docs/ARCHITECTURE.md, "Observability"): the side, the direction, a category
/// (TCP, HTTP, HAND, STATE, FRAME, APP, PING, ACTOR, RETRY) and a message. Published to the actor
/// system's event stream when <c>actorws.trace-lifecycle = on</c>; the demo prints them, tests
/// subscribe to them.
/// </summary>
public sealed record LifecycleEvent(DateTime Timestamp, Role Side, Direction Direction, string Category, string Message, string Connection)
{
    public string SideName => Side == Role.Server ? "SERVER" : "CLIENT";

    public static string Arrow(Direction d) => d switch
    {
        Direction.Sent => "->",
        Direction.Received => "<-",
        Direction.Local => "· ",
        _ => "! ",
    };

    public override string ToString() =>
        $"[{Timestamp.ToLocalTime():HH:mm:ss.fff}] {SideName} {Arrow(Direction)} [{Category}] {Message}";
}

/// <summary>
/// The per-connection handle on lifecycle tracing. Callers test <see cref="Enabled"/> before
/// building a message, so tracing off costs one branch.
/// </summary>
internal sealed class Trace(ActorSystem system, Role side, string connection, bool enabled)
{
    public static Trace Off(ActorSystem system, Role side) => new(system, side, "", false);

    public bool Enabled { get; } = enabled;
    public Role Side { get; } = side;
    public string Connection { get; } = connection;

    public void Emit(Direction direction, string category, string message)
    {
        if (Enabled)
            system.EventStream.Publish(new LifecycleEvent(DateTime.UtcNow, Side, direction, category, message, Connection));
    }

    /// <summary>The reference's frame line: header fields and a short payload preview in Python's
    /// bytes notation, so text and binary read alike.</summary>
    public static string DescribeFrame(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var sb = new StringBuilder();
        sb.Append("opcode=").Append(header.Opcode.Name())
          .Append(" fin=").Append(header.Fin ? 1 : 0)
          .Append(" masked=").Append(header.Masked ? 1 : 0)
          .Append(" len=").Append(header.PayloadLength);
        if (payload.Length > 0)
            sb.Append(" payload=").Append(Preview(payload, 20));
        return sb.ToString();
    }

    public static string Preview(ReadOnlySpan<byte> bytes, int max)
    {
        var sb = new StringBuilder("b'");
        foreach (byte b in bytes[..Math.Min(max, bytes.Length)])
        {
            if (b == (byte)'\'' || b == (byte)'\\')
                sb.Append('\\').Append((char)b);
            else if (b >= 0x20 && b < 0x7F)
                sb.Append((char)b);
            else
                sb.Append("\\x").Append(b.ToString("x2"));
        }
        sb.Append('\'');
        if (bytes.Length > max)
            sb.Append("...");
        return sb.ToString();
    }
}
