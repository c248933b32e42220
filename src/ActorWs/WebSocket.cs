using System.Net;
using Akka.Actor;
using Akka.Event;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// Every message an application exchanges with a WebSocket connection, in one place, as Akka.IO's
/// <c>Tcp</c> keeps its own. A handler actor receives the <see cref="Event"/>s; it sends the
/// <see cref="Command"/>s to the connection (<see cref="Opened.Connection"/>), or to a client's actor.
/// Everything is immutable. <c>using static ActorWs.WebSocket;</c> brings the short names into scope.
/// </summary>
/// <remarks>
/// Events that can reach a handler after it has stopped — the connection only learns of the stop
/// through a watch, and a close races with whatever is already on its way — are
/// <see cref="IDeadLetterSuppression"/>: they are the ordinary end of a connection, not lost work.
/// Received messages are not: a text or binary message that finds its handler gone is data lost,
/// and the dead-letter log should say so.
/// </remarks>
public static class WebSocket
{
    /// <summary>What an application asks of a connection.</summary>
    public abstract record Command;

    /// <summary>What a connection tells its handler.</summary>
    public abstract record Event;

    // ------------------------------------------------------------------ commands

    /// <summary>Send a text message.</summary>
    public sealed record SendText(string Text) : Command;

    /// <summary>Send a binary message. The array must not be changed after sending.</summary>
    public sealed record SendBinary(byte[] Data) : Command;

    /// <summary>
    /// Send a data message whose payload the application lends: no copy is made of it in user space
    /// (a server writes the frame header and the payload to the socket side by side; a client must
    /// mask, RFC 6455 §5.3, which is the one copy the RFC forces). The bytes must not change until
    /// they are written: when <see cref="Ack"/> is set, the sender is told it once they have been
    /// handed to the OS (or copied), after which the buffer is the application's again (a pooled
    /// one may be returned). A connection that closes first sends no ack; its <see cref="Closed"/>
    /// then gives the buffers back. Text must be UTF-8 (§5.6), checked here, where the mistake is made.
    /// A received <see cref="MessageReceived"/> may also be told to any connection as it is: it is
    /// sent on without a copy.
    /// </summary>
    public sealed record Send : Command
    {
        /// <summary>A message of <paramref name="type"/> with <paramref name="payload"/>; throws
        /// <see cref="ArgumentException"/> for text that is not UTF-8.</summary>
        public Send(MessageType type, ReadOnlyMemory<byte> payload)
        {
            if (type == MessageType.Text && !System.Text.Unicode.Utf8.IsValid(payload.Span))
                throw new ArgumentException("a text message must be UTF-8 (RFC 6455 §5.6, §8.1)", nameof(payload));
            Type = type;
            Payload = payload;
        }

        /// <summary>Text or binary.</summary>
        public MessageType Type { get; }
        /// <summary>The lent payload.</summary>
        public ReadOnlyMemory<byte> Payload { get; }
        /// <summary>Told to the sender when the payload has been written; null: no ack.</summary>
        public object? Ack { get; init; }
    }

    /// <summary>
    /// Send one part of a streamed message (RFC 6455 §5.4, fragmentation): the first part of a
    /// message opens it with its type, later ones continue it (their type must be the same), and the
    /// one with <see cref="IsLast"/> ends it. Between parts the connection may send control frames,
    /// never another message's data. Each text part must be UTF-8 on its own (whole code points),
    /// checked here; a received <see cref="PartReceived"/> is cut that way and may be sent on as is.
    /// The payload is lent as with <see cref="Send"/>, with the same <see cref="Ack"/>.
    /// </summary>
    public sealed record SendPart : Command
    {
        /// <summary>A part of a message of <paramref name="type"/>; throws <see cref="ArgumentException"/>
        /// for a text part that is not UTF-8 on its own.</summary>
        public SendPart(MessageType type, ReadOnlyMemory<byte> payload, bool isLast)
        {
            if (type == MessageType.Text && !System.Text.Unicode.Utf8.IsValid(payload.Span))
                throw new ArgumentException("a text part must be UTF-8 on its own, whole code points (RFC 6455 §5.6, §8.1)", nameof(payload));
            Type = type;
            Payload = payload;
            IsLast = isLast;
        }

        /// <summary>The message's type: text or binary.</summary>
        public MessageType Type { get; }
        /// <summary>The lent payload of this part.</summary>
        public ReadOnlyMemory<byte> Payload { get; }
        /// <summary>True for the part that ends the message (FIN, §5.2).</summary>
        public bool IsLast { get; }
        /// <summary>Told to the sender when the payload has been written; null: no ack.</summary>
        public object? Ack { get; init; }
    }

    /// <summary>
    /// Explicit demand (<c>actorws.messages.demand = explicit</c>): the handler can take
    /// <c>Count</c> more received messages (or parts of streamed ones). Nothing is
    /// delivered without demand; meanwhile the connection stops reading from TCP, so the peer's
    /// sends wait in its TCP window. Works the same with a handler on another node, where a mailbox
    /// cannot be measured. With automatic demand it is not needed, and ignored.
    /// </summary>
    public sealed record RequestMessages : Command
    {
        /// <summary>Demand for <paramref name="Count"/> (at least 1) more messages.</summary>
        public RequestMessages(int Count)
        {
            this.Count = Count >= 1 ? Count : throw new ArgumentOutOfRangeException(nameof(Count), Count, "demand is at least 1");
        }

        /// <summary>How many more messages the handler can take.</summary>
        public int Count { get; }
    }

    /// <summary>Send a ping with up to 125 bytes of payload (RFC 6455 §5.5.2); the pong arrives as
    /// <see cref="PongReceived"/>.</summary>
    public sealed record SendPing(byte[] Payload) : Command
    {
        /// <summary>Checked here, where the application makes the mistake, rather than in the writer,
        /// where it would fail the connection.</summary>
        public byte[] Payload { get; } = Payload.Length <= FrameHeader.MaxControlPayload ? Payload
            : throw new ArgumentException($"a ping carries at most 125 bytes (RFC 6455 §5.5), not {Payload.Length}", nameof(Payload));
    }

    /// <summary>Start the closing handshake (RFC 6455 §7.1.2) with a code that may be sent (not 1005,
    /// 1006 or 1015, nor one outside the registered ranges, §7.4) and a reason of at most 123 UTF-8
    /// bytes. Checked here: a code that could never go on the wire is the application's mistake.</summary>
    public sealed record Close : Command
    {
        /// <summary>A close with <paramref name="Code"/> and <paramref name="Reason"/>; throws
        /// <see cref="ArgumentException"/> for a code that may not be sent or a reason that does not fit.</summary>
        public Close(ushort Code = CloseCodes.NormalClosure, string Reason = "")
        {
            if (!new CloseStatus(Code, Reason).CanSend(out var why))
                throw new ArgumentException(why, nameof(Code));
            this.Code = Code;
            this.Reason = Reason;
        }

        /// <summary>The close code our close frame carries (RFC 6455 §7.4).</summary>
        public ushort Code { get; }
        /// <summary>The reason our close frame carries, at most 123 UTF-8 bytes.</summary>
        public string Reason { get; }
    }

    /// <summary>Drop the TCP connection at once, with no closing handshake (reported as 1006).</summary>
    public sealed record Abort : Command
    {
        /// <summary>The one instance.</summary>
        public static readonly Abort Instance = new();
    }

    // ------------------------------------------------------------------ events

    /// <summary>The opening handshake completed: the connection is OPEN (RFC 6455 §4.1, §4.2.2).
    /// <paramref name="Connection"/> takes the commands. It is the connection's writer, which frames
    /// <see cref="SendText"/>, <see cref="SendBinary"/> and <see cref="SendPing"/> at once and passes
    /// <see cref="Close"/> and <see cref="Abort"/> on to the connection actor: one actor hop less per
    /// message than through the connection actor. It stops when the connection closes.</summary>
    public sealed record Opened(IActorRef Connection, Role Role, EndPoint? RemoteAddress, string Path) : Event
    {
        /// <summary>Server: the client's request (immutable; headers, cookies, decoded query), as the
        /// <see cref="UpgradeDecider"/> saw it. Client: null.</summary>
        public HttpRequestView? Request { get; init; }

        /// <summary>The subprotocol agreed on (RFC 6455 §1.9, §4.2.2); null for none.</summary>
        public string? Subprotocol { get; init; }

        /// <summary>The extensions agreed on (§9): permessage-deflate with its parameters (RFC 7692 §7.1) when
        /// it was negotiated (<c>actorws.compression</c>), else empty.</summary>
        public IReadOnlyList<WebSocketExtension> Extensions { get; init; } = [];

        /// <summary>Server: the value the decider's <see cref="UpgradeDecision.Accept"/> gave this
        /// connection (the authenticated user, say); null for none, and for a client.</summary>
        public object? State { get; init; }
    }

    /// <summary>A whole text message, validated as UTF-8.</summary>
    public sealed record TextReceived(string Text) : Event;

    /// <summary>A whole binary message.</summary>
    public sealed record BinaryReceived(byte[] Data) : Event;

    /// <summary>
    /// A whole data message, lent (<c>actorws.messages.lend = on</c>, instead of
    /// <see cref="TextReceived"/> and <see cref="BinaryReceived"/>): <see cref="Payload"/> is, where it
    /// can be, a slice of the very buffer the socket read into, unmasked in place. Nobody writes or
    /// reuses that memory afterwards, so it stays valid as long as it is referenced, and the message
    /// may be kept, or told to this or any other connection to be sent on without a copy.
    /// Text is validated UTF-8 (§8.1).
    /// </summary>
    public sealed record MessageReceived(MessageType Type, ReadOnlyMemory<byte> Payload) : Event
    {
        /// <summary>The payload decoded as text (allocates a string).</summary>
        public string GetText() => System.Text.Encoding.UTF8.GetString(Payload.Span);
    }

    /// <summary>
    /// A part of a streamed message (<c>actorws.messages.stream-over</c>): a message larger than that
    /// arrives as parts of at most that many bytes, as its bytes arrive, so that it never sits in
    /// memory whole. <see cref="IsLast"/> ends it. Text parts are cut at code point boundaries and
    /// validated, so each is UTF-8 on its own; the payload is lent as with <see cref="MessageReceived"/>,
    /// and a part may be sent on as a <see cref="SendPart"/>.
    /// </summary>
    public sealed record PartReceived(MessageType Type, ReadOnlyMemory<byte> Payload, bool IsLast) : Event;

    /// <summary>A pong arrived (answering our ping, or unsolicited, RFC 6455 §5.5.3).</summary>
    public sealed record PongReceived(byte[] Payload) : Event, IDeadLetterSuppression;

    /// <summary>More than the high watermark of bytes waits to be written: stop sending until
    /// <see cref="SendBufferDrained"/>.</summary>
    public sealed record SendBufferHigh(long BufferedBytes) : Event, IDeadLetterSuppression;

    /// <summary>The send buffer fell back to half the high watermark: sending may resume.</summary>
    public sealed record SendBufferDrained(long BufferedBytes) : Event, IDeadLetterSuppression;

    /// <summary>
    /// The connection is CLOSED; exactly one per connection, always its last event. <paramref name="Code"/>
    /// is the peer's close code when a close frame arrived, the code we sent when we failed the
    /// connection, or one never sent on the wire: 1005 (a close frame without a code), 1006 (TCP lost
    /// without a closing handshake, RFC 6455 §7.1.5). <paramref name="WillReconnect"/>: a client with
    /// reconnect on starts another connection (<see cref="Reconnecting"/> follows); when false, this
    /// is the client's last event.
    /// </summary>
    public sealed record Closed(ushort Code, string Reason, bool WasClean, bool WillReconnect = false) : Event, IDeadLetterSuppression
    {
        /// <summary>Client: the server answered the opening handshake but did not accept it (a refusal
        /// with its status, headers and body, or a 101 that broke a rule); the code is then 1006.
        /// Null otherwise.</summary>
        public HandshakeFailedException? HandshakeFailure { get; init; }

        /// <summary>wss://: the TLS handshake failed before any HTTP was exchanged (a certificate the
        /// client refused, with why; a peer that does not speak TLS; a timeout); the code is then
        /// 1006. Null otherwise.</summary>
        public TlsFailedException? TlsFailure { get; init; }

        /// <summary>The code with its meaning, the reason and how it ended, for logs.</summary>
        public override string ToString() => $"Closed({Code} {CloseCodes.Describe(Code)}{(Reason.Length > 0 ? $" '{Reason}'" : "")}, wasClean={WasClean}{(WillReconnect ? ", reconnecting" : "")})";
    }

    /// <summary>
    /// Client with reconnect on: the connection whose <see cref="Closed"/> came just before was lost, and
    /// a new one starts after <paramref name="Delay"/> (RFC 6455 §7.2.3). <paramref name="Attempt"/> counts
    /// the reconnects since the client started or since a connection stayed up for reconnect.reset-after.
    /// The new connection's events follow: <see cref="Opened"/> … <see cref="Closed"/>, or only
    /// <see cref="Closed"/> when it cannot connect, or when the application sends the client
    /// <see cref="Close"/> or <see cref="Abort"/> before the delay has passed (1006; the client then stops).
    /// The <see cref="Closed"/> before it says <c>WillReconnect</c>; one that does not is the client's last.
    /// </summary>
    public sealed record Reconnecting(int Attempt, TimeSpan Delay) : Event, IDeadLetterSuppression;
}
