using System.Text;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using ActorWs.Protocol;

namespace ActorWs.Streams;

/// <summary>
/// One connection as a flow: the inlet takes the messages to send, the outlet gives the messages
/// received. Its stage actor is the connection's handler (a client's directly, a server's through
/// <see cref="StreamHandlerActor"/>), so the connection's events and acks reach the stage without
/// a mailbox of their own.
/// </summary>
/// <remarks>
/// Receiving: one <see cref="RequestMessages"/> of 1 per pull, and only then — the outlet's pull is
/// the only demand a stage can see, and asking for more would mean buffering what was asked for, which
/// is what explicit demand exists to avoid. A streamed message's parts are asked for one per pull of
/// its own source. Sending: every message or part goes as <see cref="Send"/> or <see cref="SendPart"/>
/// with an ack, and the next is pulled only while fewer than <c>unackedBudget</c> bytes are unacked,
/// so a fast upstream waits for the socket instead of filling the writer.
/// </remarks>
internal sealed class ConnectionStage : GraphStageWithMaterializedValue<FlowShape<Message, Message>, Task<Opened>>
{
    private readonly Func<IActorRef, ActorSystem, IActorRef?> _attach;
    private readonly long? _unackedBudget;

    /// <param name="attach">Called once the stage actor exists, with it and the system: makes it the
    /// handler of a connection (a client connects; a server's handler actor starts forwarding). Returns
    /// the client's actor, to abort if the stream stops before the connection opens, or null.</param>
    /// <param name="unackedBudget">Bytes sent and not yet acked past which nothing more is pulled; null
    /// for <c>actorws.write.high-watermark</c> of the system's configuration.</param>
    public ConnectionStage(Func<IActorRef, ActorSystem, IActorRef?> attach, long? unackedBudget)
    {
        _attach = attach;
        _unackedBudget = unackedBudget;
        Shape = new FlowShape<Message, Message>(In, Out);
    }

    public Inlet<Message> In { get; } = new("websocket.send");
    public Outlet<Message> Out { get; } = new("websocket.received");
    public override FlowShape<Message, Message> Shape { get; }

    public override ILogicAndMaterializedValue<Task<Opened>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var opened = new TaskCompletionSource<Opened>(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task<Opened>>(new Logic(this, opened), opened.Task);
    }

    /// <summary>The ack of every send: acks come back in the order of the sends, so one token does.</summary>
    private sealed class Written
    {
        public static readonly Written Instance = new();
    }

    /// <summary>Told to itself on downstream cancel, so that the close waits for the elements the same
    /// interpreter has already pushed towards the inlet (an echo's last reply after a Take).</summary>
    private sealed class CancelledDownstream
    {
        public static readonly CancelledDownstream Instance = new();
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly ConnectionStage _stage;
        private readonly TaskCompletionSource<Opened> _opened;
        private IActorRef _self = ActorRefs.Nobody;
        private IActorRef? _client;
        private IActorRef? _connection;
        private Closed? _closed;
        private bool _closeSent;

        // Receiving.
        private bool _requested;
        private bool _outCancelled;
        private SubSourceOutlet<ReadOnlyMemory<byte>>? _part;
        private PartReceived? _pendingPart;
        private bool _discardingPart;

        // Sending.
        private readonly Queue<int> _unackedSizes = new();
        private long _unackedBytes;
        private long _unackedBudget;
        private bool _inDone;
        private SubSinkInlet<string>? _textOut;
        private SubSinkInlet<ReadOnlyMemory<byte>>? _binaryOut;
        private Encoder? _encoder;

        public Logic(ConnectionStage stage, TaskCompletionSource<Opened> opened) : base(stage.Shape)
        {
            _stage = stage;
            _opened = opened;
            SetHandler(stage.In, onPush: OnSendPush, onUpstreamFinish: OnSendFinish, onUpstreamFailure: OnSendFailure);
            SetHandler(stage.Out, onPull: Demand, onDownstreamFinish: OnReceivedCancel);
        }

        public override void PreStart()
        {
            // Closed, not the ports, ends the stage: it stays the handler until the connection is gone.
            SetKeepGoing(true);
            _self = GetStageActor(OnEvent).Ref;
            try
            {
                var system = ((ActorMaterializer)Materializer).System;
                _unackedBudget = _stage._unackedBudget ?? WebSocketSettings.Create(system.Settings.Config).WriteHighWatermark;
                _client = _stage._attach(_self, system);
            }
            catch (Exception e)
            {
                _opened.TrySetException(e);
                FailStage(e);
            }
        }

        public override void PostStop()
        {
            if (_closed is not null)
                return;
            _opened.TrySetException(new InvalidOperationException("the stream stopped before the connection opened"));
            // Stopped from outside (its materializer shut down, say): the connection must not outlive it.
            if (_connection is not null && !_closeSent)
                _connection.Tell(new Close(CloseCodes.GoingAway, "stream stopped"), _self);
            else if (_connection is null)
                _client?.Tell(Abort.Instance, _self);
        }

        private void OnEvent((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case Written:
                    _unackedBytes -= _unackedSizes.Dequeue();
                    PullNext();
                    CloseWhenDone();
                    break;
                case TextReceived t:
                    OnMessage(new TextMessage.Strict(t.Text));
                    break;
                case BinaryReceived b:
                    OnMessage(new BinaryMessage.Strict(b.Data));
                    break;
                case MessageReceived m:
                    OnMessage(m.Type == MessageType.Text ? new TextMessage.Strict(m.GetText()) : new BinaryMessage.Strict(m.Payload));
                    break;
                case PartReceived p:
                    OnPart(p);
                    break;
                case Opened o:
                    _connection = o.Connection;
                    _opened.TrySetResult(o);
                    Demand();
                    PullNext();
                    CloseWhenDone();
                    break;
                case Closed c:
                    OnClosed(c);
                    break;
                case CancelledDownstream:
                    _outCancelled = true;
                    if (!IsClosed(_stage.In))
                        Cancel(_stage.In);
                    CancelStreamedSend();
                    Demand();
                    CloseWhenDone();
                    break;
            }
            // PongReceived, SendBufferHigh/Drained: the unacked budget keeps the writer below its high
            // watermark, so there is nothing to do for them.
        }

        // ------------------------------------------------------------ receiving

        /// <summary>Asks for one message (or part) when someone waits for one and none is asked for.</summary>
        private void Demand()
        {
            if (_connection is null || _closed is not null || _requested)
                return;
            var wanted = _outCancelled
                // Nobody reads any more, but the peer's close frame is behind what it has sent.
                ? _closeSent
                : _part is not null
                    ? _pendingPart is null && (_discardingPart || _part.IsAvailable)
                    : IsAvailable(_stage.Out);
            if (!wanted)
                return;
            _requested = true;
            _connection.Tell(new RequestMessages(1), _self);
        }

        /// <summary>Takes a delivery that was asked for; one that was not means the connection does
        /// not run with explicit demand, and this stage cannot hold what it did not ask for.</summary>
        private bool Delivered()
        {
            if (_requested)
            {
                _requested = false;
                return true;
            }
            if (!_closeSent)
                SendClose(CloseCodes.InternalError, "a stream handler needs actorws.messages.demand = explicit");
            return false;
        }

        private void OnMessage(Message message)
        {
            if (!Delivered())
                return;
            // Not available only when downstream has cancelled and the stage has not yet heard of it
            // (CancelledDownstream): nobody would read it.
            if (IsAvailable(_stage.Out))
                Push(_stage.Out, message);
            Demand();
        }

        private void OnPart(PartReceived part)
        {
            if (!Delivered())
                return;
            if (_outCancelled || (_part is null && !IsAvailable(_stage.Out)))
            {
                Demand();
                return;
            }
            if (_part is null)
            {
                // The first part makes the message; it waits until the message's source is pulled.
                var source = new SubSourceOutlet<ReadOnlyMemory<byte>>(this, "websocket.part");
                source.SetHandler(new PartHandler(this));
                _part = source;
                _pendingPart = part;
                Push(_stage.Out, part.Type == MessageType.Text
                    ? new TextMessage.Streamed(Source.FromGraph(source.Source).Select(p => Encoding.UTF8.GetString(p.Span)))
                    : new BinaryMessage.Streamed(Source.FromGraph(source.Source)));
            }
            else if (_discardingPart)
            {
                if (part.IsLast)
                    EndPart();
            }
            else
            {
                _part.Push(part.Payload);
                if (part.IsLast)
                {
                    _part.Complete();
                    EndPart();
                }
            }
            Demand();
        }

        private void OnPartPull()
        {
            if (_pendingPart is { } pending && _part is not null)
            {
                _pendingPart = null;
                _part.Push(pending.Payload);
                if (pending.IsLast)
                {
                    _part.Complete();
                    EndPart();
                }
            }
            Demand();
        }

        private void OnPartCancel()
        {
            // The rest of the message is read and dropped: the next message is behind it.
            _discardingPart = true;
            if (_pendingPart is { } pending)
            {
                _pendingPart = null;
                if (pending.IsLast)
                    EndPart();
            }
            Demand();
        }

        private void EndPart()
        {
            _part = null;
            _pendingPart = null;
            _discardingPart = false;
        }

        private void OnReceivedCancel(Exception cause)
        {
            if (cause is not SubscriptionWithCancelException.NonFailureCancellation)
            {
                _outCancelled = true;
                SendClose(CloseCodes.InternalError, "the stream failed");
                return;
            }
            _self.Tell(CancelledDownstream.Instance, _self);
        }

        // ------------------------------------------------------------ sending

        private bool MaySend => _connection is not null && _closed is null && !_closeSent
            && (_unackedSizes.Count == 0 || _unackedBytes < _unackedBudget);

        /// <summary>Pulls the next message, or the next part of the streamed one being sent, while the
        /// unacked bytes are within budget.</summary>
        private void PullNext()
        {
            if (!MaySend)
                return;
            if (_textOut is not null)
            {
                if (!_textOut.HasBeenPulled && !_textOut.IsClosed)
                    _textOut.Pull();
            }
            else if (_binaryOut is not null)
            {
                if (!_binaryOut.HasBeenPulled && !_binaryOut.IsClosed)
                    _binaryOut.Pull();
            }
            else if (!_inDone && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private void OnSendPush()
        {
            switch (Grab(_stage.In))
            {
                case TextMessage.Strict s:
                    Write(new Send(MessageType.Text, Encoding.UTF8.GetBytes(s.Text)) { Ack = Written.Instance });
                    break;
                case BinaryMessage.Strict b:
                    Write(new Send(MessageType.Binary, b.Data) { Ack = Written.Instance });
                    break;
                case TextMessage.Streamed t:
                    // Carries a high surrogate that ends one element over to the next, so that each
                    // part is UTF-8 on its own (SendPart checks it).
                    _encoder = Encoding.UTF8.GetEncoder();
                    _textOut = new SubSinkInlet<string>(this, "websocket.send-text");
                    _textOut.SetHandler(new TextPartHandler(this));
                    t.TextStream.RunWith(_textOut.Sink, SubFusingMaterializer);
                    break;
                case BinaryMessage.Streamed b:
                    _binaryOut = new SubSinkInlet<ReadOnlyMemory<byte>>(this, "websocket.send-binary");
                    _binaryOut.SetHandler(new BinaryPartHandler(this));
                    b.DataStream.RunWith(_binaryOut.Sink, SubFusingMaterializer);
                    break;
            }
            PullNext();
        }

        private void OnTextPart(string text, bool last)
        {
            var encoder = _encoder!;
            var bytes = new byte[encoder.GetByteCount(text, last)];
            encoder.GetBytes(text, bytes, last);
            if (last || bytes.Length > 0)
                Write(new SendPart(MessageType.Text, bytes, last) { Ack = Written.Instance });
        }

        private void OnStreamedSendFinished()
        {
            _textOut = null;
            _binaryOut = null;
            _encoder = null;
            PullNext();
            CloseWhenDone();
        }

        private void OnStreamedSendFailure()
        {
            // The message cannot be finished, and no other may start before it ends.
            _textOut = null;
            _binaryOut = null;
            _encoder = null;
            SendClose(CloseCodes.InternalError, "a streamed message failed");
        }

        private void CancelStreamedSend()
        {
            _textOut?.Cancel();
            _binaryOut?.Cancel();
            _textOut = null;
            _binaryOut = null;
        }

        private void Write(Command command)
        {
            var size = command switch
            {
                Send s => s.Payload.Length,
                SendPart p => p.Payload.Length,
                _ => 0,
            };
            _unackedSizes.Enqueue(size);
            _unackedBytes += size;
            _connection!.Tell(command, _self);
        }

        private void OnSendFinish()
        {
            _inDone = true;
            CloseWhenDone();
        }

        private void OnSendFailure(Exception e)
        {
            _inDone = true;
            CancelStreamedSend();
            SendClose(CloseCodes.InternalError, "the stream failed");
        }

        // ------------------------------------------------------------ closing

        /// <summary>Closes with 1000 once nothing more will be sent: upstream completed or downstream
        /// cancelled, and every send acked, so the close frame cannot overtake a message.</summary>
        private void CloseWhenDone()
        {
            if ((_inDone || _outCancelled) && _textOut is null && _binaryOut is null && _unackedSizes.Count == 0)
                SendClose(CloseCodes.NormalClosure, "");
        }

        private void SendClose(ushort code, string reason)
        {
            if (_closeSent || _closed is not null)
                return;
            if (_connection is null)
            {
                // A client still connecting: there is no one to send a close frame to yet.
                if (_client is null)
                    return;
                _client.Tell(Abort.Instance, _self);
            }
            else
            {
                _connection.Tell(new Close(code, reason), _self);
            }
            _closeSent = true;
            Demand();
        }

        private void OnClosed(Closed closed)
        {
            _closed = closed;
            var error = WebSocketClosedException.IsNormal(closed) ? null : new WebSocketClosedException(closed);
            _opened.TrySetException(error ?? new WebSocketClosedException(closed));
            // A message cut short by the close is incomplete, however the connection ended.
            if (_part is not null && !_discardingPart)
                _part.Fail(error ?? new WebSocketClosedException(closed));
            EndPart();
            CancelStreamedSend();
            if (error is null)
                CompleteStage();
            else
                FailStage(error);
        }

        private sealed class PartHandler(Logic logic) : OutHandler
        {
            public override void OnPull() => logic.OnPartPull();
            public override void OnDownstreamFinish(Exception cause) => logic.OnPartCancel();
        }

        private sealed class TextPartHandler(Logic logic) : InHandler
        {
            public override void OnPush()
            {
                logic.OnTextPart(logic._textOut!.Grab(), last: false);
                logic.PullNext();
            }

            public override void OnUpstreamFinish()
            {
                logic.OnTextPart("", last: true);
                logic.OnStreamedSendFinished();
            }

            public override void OnUpstreamFailure(Exception e) => logic.OnStreamedSendFailure();
        }

        private sealed class BinaryPartHandler(Logic logic) : InHandler
        {
            public override void OnPush()
            {
                var data = logic._binaryOut!.Grab();
                if (data.Length > 0)
                    logic.Write(new SendPart(MessageType.Binary, data, isLast: false) { Ack = Written.Instance });
                logic.PullNext();
            }

            public override void OnUpstreamFinish()
            {
                logic.Write(new SendPart(MessageType.Binary, ReadOnlyMemory<byte>.Empty, isLast: true) { Ack = Written.Instance });
                logic.OnStreamedSendFinished();
            }

            public override void OnUpstreamFailure(Exception e) => logic.OnStreamedSendFailure();
        }
    }
}
