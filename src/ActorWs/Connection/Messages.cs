using System.Net;
using Akka.Actor;
using ActorWs.Protocol;

namespace ActorWs;

// The application's side of a connection. A handler actor receives the events; it sends the
// commands to the connection (the IActorRef in Opened). Everything is immutable.

/// <summary>The opening handshake completed: the connection is OPEN (RFC 6455 §4.1, §4.2.2).
/// <paramref name="Connection"/> takes the commands. It is the connection's writer, which frames
/// <see cref="SendText"/>, <see cref="SendBinary"/> and <see cref="SendPing"/> at once and passes
/// <see cref="Close"/> and <see cref="Abort"/> on to the connection actor: one actor hop less per
/// message than through the connection actor (which takes the same commands). It stops when the
/// connection closes.</summary>
public sealed record Opened(IActorRef Connection, Role Role, EndPoint? RemoteAddress, string Path);

/// <summary>A whole text message, validated as UTF-8.</summary>
public sealed record TextReceived(string Text);

/// <summary>A whole binary message.</summary>
public sealed record BinaryReceived(byte[] Data);

/// <summary>A pong arrived (answering our ping, or unsolicited, §5.5.3).</summary>
public sealed record PongReceived(byte[] Payload);

/// <summary>
/// The connection is CLOSED; exactly one per connection, always the last event. <paramref name="Code"/>
/// is the peer's close code when a close frame arrived, the code we sent when we failed the
/// connection, or one never sent on the wire: 1005 (a close frame without a code), 1006 (TCP lost
/// without a close handshake, §7.1.5).
/// </summary>
public sealed record Closed(ushort Code, string Reason, bool WasClean)
{
    public override string ToString() => $"Closed({Code} {CloseCodes.Describe(Code)}{(Reason.Length > 0 ? $" '{Reason}'" : "")}, wasClean={WasClean})";
}

/// <summary>
/// Client with reconnect on: the connection whose <see cref="Closed"/> came just before was lost, and
/// a new one starts after <paramref name="Delay"/> (RFC 6455 §7.2.3). <paramref name="Attempt"/> counts
/// the reconnects since the client started or since a connection stayed up for reconnect.reset-after.
/// The new connection's events follow: <see cref="Opened"/> … <see cref="Closed"/>, or only
/// <see cref="Closed"/> when it cannot connect, or when the application sends the client
/// <see cref="Close"/> or <see cref="Abort"/> before the delay has passed (1006; the client then stops).
/// A <see cref="Closed"/> that no Reconnecting follows is the client's last: its actor stops, which a
/// watch on it tells for certain.
/// </summary>
public sealed record Reconnecting(int Attempt, TimeSpan Delay);

/// <summary>More than the high watermark of bytes waits to be written: stop sending until
/// <see cref="SendBufferDrained"/>.</summary>
public sealed record SendBufferHigh(long BufferedBytes);

/// <summary>The send buffer fell back to half the high watermark: sending may resume.</summary>
public sealed record SendBufferDrained(long BufferedBytes);

/// <summary>Send a text message.</summary>
public sealed record SendText(string Text);

/// <summary>Send a binary message. The array must not be changed after sending.</summary>
public sealed record SendBinary(byte[] Data);

/// <summary>Send a ping with up to 125 bytes of payload (§5.5.2); the pong arrives as <see cref="PongReceived"/>.</summary>
public sealed record SendPing(byte[] Payload)
{
    /// <summary>Checked here, where the application makes the mistake, rather than in the writer,
    /// where it would fail the connection.</summary>
    public byte[] Payload { get; } = Payload.Length <= FrameHeader.MaxControlPayload ? Payload
        : throw new ArgumentException($"a ping carries at most 125 bytes (RFC 6455 §5.5), not {Payload.Length}", nameof(Payload));
}

/// <summary>Start the closing handshake (§7.1.2) with a code valid on the wire and a reason of at most 123 bytes.</summary>
public sealed record Close(ushort Code = CloseCodes.NormalClosure, string Reason = "");

/// <summary>Drop the TCP connection at once, with no closing handshake (reported as 1006).</summary>
public sealed record Abort
{
    public static readonly Abort Instance = new();
}
