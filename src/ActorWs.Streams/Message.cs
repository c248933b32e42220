using Akka;
using Akka.Streams.Dsl;

namespace ActorWs.Streams;

/// <summary>
/// A WebSocket data message as a stream element, modelled on Akka HTTP's: text or binary, each
/// either strict (whole, in memory) or streamed (its parts as a <see cref="Source{TOut, TMat}"/>, which
/// can be materialized once). Received messages over <c>actorws.messages.stream-over</c> arrive
/// streamed, the others strict; either kind may be sent.
/// </summary>
/// <remarks>
/// A streamed message's parts travel on the one connection between the messages before and after
/// it, so its source must be run to its end (or cancelled) before the next message can come: a
/// received one that is left alone stalls the stream of messages, on purpose, since reading further
/// would mean buffering it. Cancelling it discards the rest of the message.
/// </remarks>
public abstract record Message
{
    private protected Message()
    {
    }

    /// <summary>True for a text message, false for a binary one.</summary>
    public abstract bool IsText { get; }
}

/// <summary>A text message (RFC 6455 §5.6): UTF-8 on the wire.</summary>
public abstract record TextMessage : Message
{
    private protected TextMessage()
    {
    }

    /// <inheritdoc/>
    public override bool IsText => true;

    /// <summary>A whole text message.</summary>
    public sealed record Strict(string Text) : TextMessage;

    /// <summary>A text message whose text comes as <paramref name="TextStream"/>; received, each
    /// element is one part as it arrived (whole code points); sent, each element becomes one frame.</summary>
    public sealed record Streamed(Source<string, NotUsed> TextStream) : TextMessage;
}

/// <summary>A binary message.</summary>
public abstract record BinaryMessage : Message
{
    private protected BinaryMessage()
    {
    }

    /// <inheritdoc/>
    public override bool IsText => false;

    /// <summary>A whole binary message. Received with <c>actorws.messages.lend = on</c>, the bytes are
    /// lent (<see cref="MessageReceived"/>); sent, they must not change until written, which is before
    /// the stream asks for the next message.</summary>
    public sealed record Strict(ReadOnlyMemory<byte> Data) : BinaryMessage;

    /// <summary>A binary message whose bytes come as <paramref name="DataStream"/>, one element per part
    /// (received) or per frame (sent).</summary>
    public sealed record Streamed(Source<ReadOnlyMemory<byte>, NotUsed> DataStream) : BinaryMessage;
}
