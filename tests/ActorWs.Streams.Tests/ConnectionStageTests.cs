using System.Text;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Akka.TestKit;
using ActorWs.Protocol;
using ActorWs.Streams;

namespace ActorWs.Streams.Tests;

/// <summary>
/// The bridge between a stream and a connection, with a probe standing in for the connection: what
/// the stage asks of it (demand, sends, close) and what it makes of the connection's events.
/// "Nothing more was sent" is shown by order, never by waiting: the stage tells the probe everything
/// from one actor, so a message the probe gets next proves that none was told before it.
/// </summary>
public sealed class ConnectionStageTests() : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient)
{
    private sealed record Bridge(
        TestPublisher.Probe<Message> Outgoing,
        TestSubscriber.Probe<Message> Incoming,
        Task<Opened> Opened,
        IActorRef Stage,
        TestProbe Connection);

    /// <summary>A stage between two probes, opened on a probe connection. A budget of one byte
    /// lets one send be unacked at a time.</summary>
    private Bridge Open(long unackedBudget = 1)
    {
        var attached = CreateTestProbe();
        var connection = CreateTestProbe();
        var stage = new ConnectionStage((actor, _) =>
        {
            attached.Ref.Tell(actor);
            return null;
        }, unackedBudget);
        var ((outgoing, opened), incoming) = this.SourceProbe<Message>()
            .ViaMaterialized(Flow.FromGraph(stage), Keep.Both)
            .ToMaterialized(this.SinkProbe<Message>(), Keep.Both)
            .Run(Sys.Materializer());
        var stageActor = attached.ExpectMsg<IActorRef>();
        stageActor.Tell(new Opened(connection.Ref, Role.Server, null, "/"));
        incoming.EnsureSubscription();
        return new Bridge(outgoing, incoming, opened, stageActor, connection);
    }

    private static Send ExpectSend(TestProbe connection, string text)
    {
        var send = connection.ExpectMsg<Send>();
        Assert.Equal(text, Encoding.UTF8.GetString(send.Payload.Span));
        Assert.NotNull(send.Ack);
        return send;
    }

    [Fact]
    public async Task The_materialized_task_completes_with_the_connections_Opened()
    {
        var bridge = Open();
        var opened = await bridge.Opened.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(bridge.Connection.Ref, opened.Connection);
    }

    [Fact]
    public void Nothing_is_asked_of_the_connection_before_downstream_pulls()
    {
        var bridge = Open();
        // The first thing the connection hears is the send, not a demand nobody made.
        bridge.Outgoing.SendNext(new TextMessage.Strict("out"));
        ExpectSend(bridge.Connection, "out");
    }

    [Fact]
    public void A_sink_requesting_two_gets_two_and_the_connection_is_asked_for_no_more_than_two()
    {
        var bridge = Open();
        bridge.Incoming.Request(2);
        Assert.Equal(1, bridge.Connection.ExpectMsg<RequestMessages>().Count);
        bridge.Stage.Tell(new TextReceived("one"), bridge.Connection.Ref);
        Assert.Equal(1, bridge.Connection.ExpectMsg<RequestMessages>().Count);
        bridge.Stage.Tell(new BinaryReceived([2]), bridge.Connection.Ref);
        Assert.Equal("one", Assert.IsType<TextMessage.Strict>(bridge.Incoming.ExpectNext()).Text);
        Assert.Equal([2], Assert.IsType<BinaryMessage.Strict>(bridge.Incoming.ExpectNext()).Data.ToArray());

        // Demand spent: the next thing the connection hears is this send, not a third request.
        bridge.Outgoing.SendNext(new TextMessage.Strict("after"));
        ExpectSend(bridge.Connection, "after");
        bridge.Incoming.Request(1);
        Assert.Equal(1, bridge.Connection.ExpectMsg<RequestMessages>().Count);
    }

    [Fact]
    public void A_lent_message_arrives_as_a_strict_message_without_a_copy_of_its_bytes()
    {
        var bridge = Open();
        var payload = new byte[] { 1, 2, 3 };
        bridge.Incoming.Request(2);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new MessageReceived(MessageType.Binary, payload), bridge.Connection.Ref);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new MessageReceived(MessageType.Text, "é"u8.ToArray()), bridge.Connection.Ref);
        var binary = Assert.IsType<BinaryMessage.Strict>(bridge.Incoming.ExpectNext());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(binary.Data, out var segment));
        Assert.Same(payload, segment.Array);
        Assert.Equal("é", Assert.IsType<TextMessage.Strict>(bridge.Incoming.ExpectNext()).Text);
    }

    [Fact]
    public void A_send_waits_for_its_ack_before_the_next_message_is_pulled()
    {
        var bridge = Open();
        bridge.Outgoing.SendNext(new TextMessage.Strict("first"));
        var first = ExpectSend(bridge.Connection, "first");
        // The publisher may offer the second now; the stage must not pull it from its input buffer
        // before the ack. A demand made now reaches the connection first if it has not.
        bridge.Outgoing.SendNext(new BinaryMessage.Strict(new byte[] { 9 }));
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(first.Ack!, bridge.Connection.Ref);
        var second = bridge.Connection.ExpectMsg<Send>();
        Assert.Equal(MessageType.Binary, second.Type);
        Assert.Equal([9], second.Payload.ToArray());
    }

    [Fact]
    public void Sends_go_on_unacked_while_their_bytes_stay_below_the_budget()
    {
        var bridge = Open(unackedBudget: 10);
        bridge.Outgoing.SendNext(new TextMessage.Strict("1234"));
        bridge.Outgoing.SendNext(new TextMessage.Strict("5678"));
        bridge.Outgoing.SendNext(new TextMessage.Strict("9abc"));
        bridge.Outgoing.SendNext(new TextMessage.Strict("defg"));
        var first = ExpectSend(bridge.Connection, "1234");
        ExpectSend(bridge.Connection, "5678");
        ExpectSend(bridge.Connection, "9abc");
        // 12 bytes unacked, over the budget of 10: the fourth waits for an ack.
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(first.Ack!, bridge.Connection.Ref);
        ExpectSend(bridge.Connection, "defg");
    }

    [Fact]
    public void A_streamed_message_is_sent_as_parts_each_after_the_previous_ack()
    {
        var bridge = Open();
        // "😀" is a surrogate pair cut across two elements: each part must still be whole UTF-8.
        var smiley = "😀";
        bridge.Outgoing.SendNext(new TextMessage.Streamed(Source.From(new[] { "ab", "c" + smiley[0], smiley[1] + "d" })));
        var parts = new List<SendPart>();
        for (int i = 0; i < 4; i++)
        {
            var part = bridge.Connection.ExpectMsg<SendPart>();
            parts.Add(part);
            Assert.Equal(MessageType.Text, part.Type);
            bridge.Stage.Tell(part.Ack!, bridge.Connection.Ref);
        }
        Assert.Equal(["ab", "c", "😀d", ""], parts.Select(p => Encoding.UTF8.GetString(p.Payload.Span)));
        Assert.Equal([false, false, false, true], parts.Select(p => p.IsLast));
        // Only then the next message.
        bridge.Outgoing.SendNext(new BinaryMessage.Streamed(Source.Single(new ReadOnlyMemory<byte>([7]))));
        var binary = bridge.Connection.ExpectMsg<SendPart>();
        Assert.Equal((MessageType.Binary, false), (binary.Type, binary.IsLast));
        bridge.Stage.Tell(binary.Ack!, bridge.Connection.Ref);
        Assert.True(bridge.Connection.ExpectMsg<SendPart>().IsLast);
    }

    [Fact]
    public void A_streamed_message_received_asks_for_each_part_only_when_its_source_is_pulled()
    {
        var bridge = Open();
        bridge.Incoming.Request(5);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Text, "he"u8.ToArray(), IsLast: false), bridge.Connection.Ref);
        var streamed = Assert.IsType<TextMessage.Streamed>(bridge.Incoming.ExpectNext());
        var parts = streamed.TextStream.RunWith(this.SinkProbe<string>(), Sys.Materializer());
        parts.Request(1);
        Assert.Equal("he", parts.ExpectNext());
        // Downstream wants four more messages, but the message's source has not asked for its next
        // part: the connection hears nothing until it does (this send comes first).
        bridge.Outgoing.SendNext(new TextMessage.Strict("x"));
        ExpectSend(bridge.Connection, "x");
        parts.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Text, "llo"u8.ToArray(), IsLast: true), bridge.Connection.Ref);
        Assert.Equal("llo", parts.ExpectNext());
        parts.ExpectComplete();
        // The message is over: the next one is asked for.
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new TextReceived("next"), bridge.Connection.Ref);
        Assert.Equal("next", Assert.IsType<TextMessage.Strict>(bridge.Incoming.ExpectNext()).Text);
    }

    [Fact]
    public void A_streamed_message_whose_source_is_cancelled_is_read_to_its_end_and_dropped()
    {
        var bridge = Open();
        bridge.Incoming.Request(2);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Binary, new byte[] { 1 }, IsLast: false), bridge.Connection.Ref);
        var streamed = Assert.IsType<BinaryMessage.Streamed>(bridge.Incoming.ExpectNext());
        streamed.DataStream.RunWith(Sink.Cancelled<ReadOnlyMemory<byte>>(), Sys.Materializer());
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Binary, new byte[] { 2 }, IsLast: false), bridge.Connection.Ref);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Binary, new byte[] { 3 }, IsLast: true), bridge.Connection.Ref);
        // The request after the last part is for the next message, which arrives whole.
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new BinaryReceived([4]), bridge.Connection.Ref);
        Assert.Equal([4], Assert.IsType<BinaryMessage.Strict>(bridge.Incoming.ExpectNext()).Data.ToArray());
    }

    [Fact]
    public void A_normal_close_completes_the_incoming_messages()
    {
        var bridge = Open();
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new Closed(CloseCodes.NormalClosure, "", WasClean: true), bridge.Connection.Ref);
        bridge.Incoming.ExpectComplete();
        bridge.Outgoing.ExpectCancellation();
    }

    [Theory]
    [InlineData(CloseCodes.AbnormalClosure, false)]
    [InlineData(CloseCodes.InternalError, true)]
    [InlineData((ushort)4000, true)]
    public void An_abnormal_close_fails_the_incoming_messages_with_its_code(ushort code, bool clean)
    {
        var bridge = Open();
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new Closed(code, "why", clean), bridge.Connection.Ref);
        var error = Assert.IsType<WebSocketClosedException>(bridge.Incoming.ExpectError());
        Assert.Equal(code, error.Code);
        bridge.Outgoing.ExpectCancellation();
    }

    [Fact]
    public void A_close_in_the_middle_of_a_streamed_message_fails_its_source()
    {
        var bridge = Open();
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new PartReceived(MessageType.Text, "a"u8.ToArray(), IsLast: false), bridge.Connection.Ref);
        var streamed = Assert.IsType<TextMessage.Streamed>(bridge.Incoming.ExpectNext());
        var parts = streamed.TextStream.RunWith(this.SinkProbe<string>(), Sys.Materializer());
        parts.Request(2);
        Assert.Equal("a", parts.ExpectNext());
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(new Closed(CloseCodes.NormalClosure, "", WasClean: true), bridge.Connection.Ref);
        Assert.IsType<WebSocketClosedException>(parts.ExpectError());
        bridge.Incoming.ExpectComplete();
    }

    [Fact]
    public void Upstream_completion_closes_with_1000_once_every_send_is_acked()
    {
        var bridge = Open();
        bridge.Outgoing.SendNext(new TextMessage.Strict("last"));
        var send = ExpectSend(bridge.Connection, "last");
        bridge.Outgoing.SendComplete();
        // Not before the ack: a demand made now reaches the connection before any close.
        bridge.Incoming.Request(1);
        bridge.Connection.ExpectMsg<RequestMessages>();
        bridge.Stage.Tell(send.Ack!, bridge.Connection.Ref);
        var close = bridge.Connection.ExpectMsg<Close>();
        Assert.Equal(CloseCodes.NormalClosure, close.Code);
        // The stage stays the handler until the connection's Closed.
        bridge.Stage.Tell(new Closed(CloseCodes.NormalClosure, "", WasClean: true), bridge.Connection.Ref);
        bridge.Incoming.ExpectComplete();
    }

    [Fact]
    public void Upstream_failure_closes_with_1011()
    {
        var bridge = Open();
        bridge.Outgoing.SendError(new InvalidOperationException("boom"));
        Assert.Equal(CloseCodes.InternalError, bridge.Connection.ExpectMsg<Close>().Code);
    }

    [Fact]
    public void Downstream_cancel_closes_with_1000()
    {
        var bridge = Open();
        bridge.Incoming.Cancel();
        Assert.Equal(CloseCodes.NormalClosure, bridge.Connection.ExpectMsg<Close>().Code);
        bridge.Outgoing.ExpectCancellation();
    }

    [Fact]
    public void A_message_that_was_not_asked_for_closes_with_1011_since_the_connection_is_not_on_explicit_demand()
    {
        var bridge = Open();
        bridge.Stage.Tell(new TextReceived("unasked"), bridge.Connection.Ref);
        var close = bridge.Connection.ExpectMsg<Close>();
        Assert.Equal(CloseCodes.InternalError, close.Code);
        Assert.Contains("explicit", close.Reason);
    }
}
