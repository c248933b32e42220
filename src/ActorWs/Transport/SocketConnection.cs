using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using ActorWs.Dispatch;

namespace ActorWs.Transport;

/// <summary>
/// One TCP socket as an actor that speaks the subset of Akka.IO's connection protocol ActorWs uses:
/// <c>Tcp.Register</c>, <c>Tcp.Write</c> (or ActorWs's own <see cref="GatherWrite"/>) with an ack, <c>SuspendReading</c>/<c>ResumeReading</c>,
/// <c>Close</c> and <c>Abort</c> in; <c>Tcp.Received</c>, <c>PeerClosed</c>, <c>ErrorClosed</c>,
/// <c>Closed</c> and <c>Aborted</c> out. The connection's actors (and their tests, which stand a probe
/// in for it) are the same as over Akka.IO.
/// <para>
/// Why not Akka.IO's own connection actor: it holds a receive buffer of <c>maximum-frame-size</c>
/// for the connection's whole life, copies every read into a new ByteString, and passes every read
/// and every write completion through its own mailbox first. Here an idle connection waits with a
/// zero-byte receive (no buffer at all), a read lands in an array of exactly the bytes the kernel
/// holds (no copy, never reused, so it can be handed over), and it goes from the I/O thread straight
/// to the handler. A write is first tried synchronously on the non-blocking socket, so a write the
/// kernel takes at once is acknowledged without another message.
/// </para>
/// </summary>
internal sealed class SocketConnection : UntypedActor
{
    private sealed record ReadEnded(Tcp.ConnectionClosed Why);
    private sealed record SendCompleted(SocketError Error, int Bytes);

    /// <summary>Synchronous reads in a row before the loop yields its thread.</summary>
    private const int MaxReadsInARow = 16;
    private static long _spawned;

    private readonly Socket _socket;
    private readonly int _maxReadSize;
    private readonly TimeSpan _drainTimeout;
    private readonly SocketAsyncEventArgs _receiveArgs = new();
    private readonly IActorRef _self;
    // Told once, when the socket is disposed (after its drain): the server counts descriptors until then.
    private Action? _disposed;
    private SocketAsyncEventArgs? _sendArgs;
    private readonly Queue<(Tcp.SimpleWriteCommand Write, IActorRef Commander)> _writes = new();
    private long _sentOfFirst;
    private bool _sendPending;
    private IActorRef? _closeCommander;

    // Shared with the read loop, which runs on I/O threads.
    private volatile IActorRef? _handler;
    private volatile bool _suspended;
    private volatile bool _closed;
    private int _reading;

    public SocketConnection(Socket socket, int maxReadSize, TimeSpan drainTimeout, int receiveBufferSize, Action? disposed = null)
    {
        _socket = socket;
        _disposed = disposed;
        // Bounds what the kernel takes in for us while reading is paused; left to the OS, its
        // autotuning would let a peer park megabytes here behind a stuck handler.
        if (receiveBufferSize > 0)
            _socket.ReceiveBufferSize = receiveBufferSize;
        _maxReadSize = maxReadSize;
        _drainTimeout = drainTimeout;
        _self = Self;
        _socket.NoDelay = true;
        // Reads and writes are tried synchronously first; non-blocking, they never stall a thread.
        _socket.Blocking = false;
        _receiveArgs.SetBuffer(Memory<byte>.Empty);
        _receiveArgs.Completed += (_, _) =>
        {
            if (OnReadable())
                ReadLoop();
        };
    }

    // An UntypedActor: a ReceiveActor's handler table costs every idle connection a few hundred bytes.
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Write or GatherWrite:
                OnWrite((Tcp.SimpleWriteCommand)message);
                break;
            case SendCompleted done:
                OnSendCompleted(done);
                break;
            case Tcp.Register register:
                var first = _handler is null;
                _handler = register.Handler; // not watched: it tells StopSignals.HandlerStopped
                if (first)
                    StartReading();
                break;
            case Tcp.SuspendReading:
                _suspended = true;
                break;
            case Tcp.ResumeReading:
                _suspended = false;
                StartReading();
                break;
            case Tcp.Abort:
                Finish(Tcp.Aborted.Instance, Sender, abort: true);
                break;
            case Tcp.CloseCommand:
                _closeCommander = Sender;
                if (_writes.Count == 0)
                    Finish(Tcp.Closed.Instance, Sender, abort: false);
                break;
            case ReadEnded ended:
                Finish(ended.Why, null, abort: ended.Why is Tcp.ErrorClosed);
                break;
            // Behind the writes and the close the handler queued before it stopped: a handshake's
            // error response still goes out.
            case StopSignals.HandlerStopped:
                Finish(Tcp.Aborted.Instance, null, abort: true);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <param name="socket">An accepted or connected socket, which the actor owns from now on.</param>
    /// <param name="settings">Read size, receive buffer and drain time.</param>
    /// <param name="disposed">Called once, when the socket is disposed, which can be after the actor
    /// has stopped (<see cref="CloseGracefully"/>).</param>
    public static Props Props(Socket socket, WebSocketSettings settings, Action? disposed = null) =>
        Akka.Actor.Props.Create(() => new SocketConnection(socket, settings.MaxReadSize, settings.DrainTimeout, settings.ReceiveBufferSize, disposed));

    /// <summary>Starts the actor for an accepted or connected socket, beside Akka.IO's own under
    /// <c>/system</c>: it closes itself after Close, Abort or the end of TCP, and when its handler
    /// stops, so it outlives neither the socket nor the connection that uses it.</summary>
    public static IActorRef Spawn(ActorSystem system, Socket socket, WebSocketSettings settings, Action? disposed = null) =>
        ((ExtendedActorSystem)system).SystemActorOf(Props(socket, settings, disposed).UseLeanMailbox(system), $"actorws-tcp-{Interlocked.Increment(ref _spawned)}");

    /// <summary>Connects to <paramref name="endpoint"/>, giving up after <paramref name="timeout"/>.</summary>
    public static async Task<Socket> ConnectAsync(EndPoint endpoint, TimeSpan timeout)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cancel.Token);
            return socket;
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection within {timeout.TotalSeconds:0.###} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    protected override void PostStop()
    {
        // Stopped from outside (the actor system going down): nothing else will close the socket,
        // and the handler has not been told that TCP is gone.
        if (!_closed)
        {
            CloseSocket(abort: true);
            _handler?.Tell(StopSignals.SocketStopped.Instance, _self);
        }
        _receiveArgs.Dispose();
        _sendArgs?.Dispose();
    }

    // ---------------------------------------------------------------- reading (any thread)

    private void StartReading()
    {
        if (_handler is not null && !_suspended && !_closed && Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
            ReadLoop();
    }

    private void ReadLoop()
    {
        for (int reads = 0; ; reads++)
        {
            if (_suspended || _closed)
            {
                Volatile.Write(ref _reading, 0);
                // A resume that came between the check and the write found the loop still running.
                if (_suspended || _closed || Interlocked.CompareExchange(ref _reading, 1, 0) != 0)
                    return;
            }
            if (reads == MaxReadsInARow)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static c => ((SocketConnection)c!).ReadLoop(), this, preferLocal: false);
                return;
            }
            try
            {
                // Zero bytes: completes when data (or the end) is there, holding no buffer meanwhile.
                if (_socket.ReceiveAsync(_receiveArgs))
                    return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (!OnReadable())
                return;
        }
    }

    /// <summary>The socket has data, its end, or an error; false when reading is over.</summary>
    private bool OnReadable()
    {
        if (_closed)
            return false;
        if (_receiveArgs.SocketError != SocketError.Success)
            return Ended(new Tcp.ErrorClosed(_receiveArgs.SocketError.ToString()));
        if (_suspended)
            return true; // the loop stops; the bytes wait in the kernel
        int n;
        SocketError error;
        byte[] buffer;
        try
        {
            // Exactly what the kernel holds, up to the read size: a few bytes for a small message,
            // a whole burst for a bulk transfer.
            buffer = GC.AllocateUninitializedArray<byte>(Math.Clamp(_socket.Available, 1, _maxReadSize));
            n = _socket.Receive(buffer, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        if (error == SocketError.WouldBlock)
            return true;
        if (error != SocketError.Success)
            return Ended(new Tcp.ErrorClosed(error.ToString()));
        if (n == 0)
            return Ended(Tcp.PeerClosed.Instance);
        _handler!.Tell(new SocketRead(new ArraySegment<byte>(buffer, 0, n)), _self); // the array is the reader's now
        return true;
    }

    private bool Ended(Tcp.ConnectionClosed why)
    {
        // Through the mailbox, behind nothing the handler could miss: every Received went out
        // before this is even queued.
        _self.Tell(new ReadEnded(why));
        return false;
    }

    // ---------------------------------------------------------------- writing (actor thread)

    private void OnWrite(Tcp.SimpleWriteCommand write)
    {
        if (_closed || _closeCommander is not null)
        {
            Sender.Tell(new Tcp.CommandFailed(write));
            return;
        }
        _writes.Enqueue((write, Sender));
        if (!_sendPending)
            SendQueued();
    }

    private void SendQueued()
    {
        while (_writes.TryPeek(out var first))
        {
            long length = first.Write.Bytes;
            if (_sentOfFirst < length)
            {
                int sent;
                SocketError error;
                if (first.Write is GatherWrite gather)
                {
                    // One sendmsg for the frame headers and the lent payloads side by side: nothing joined.
                    IList<ArraySegment<byte>> remaining = _sentOfFirst == 0 ? gather.Segments : GatherWrite.After(gather.Segments, _sentOfFirst);
                    sent = _socket.Send(remaining, SocketFlags.None, out error);
                }
                else
                {
                    var data = ((Tcp.Write)first.Write).Data;
                    var remaining = data.IsCompact ? data.ToReadOnlySpan()[(int)_sentOfFirst..] : data.ToArray().AsSpan((int)_sentOfFirst);
                    sent = _socket.Send(remaining, SocketFlags.None, out error);
                }
                if (error is not (SocketError.Success or SocketError.WouldBlock))
                {
                    Finish(new Tcp.ErrorClosed(error.ToString()), null, abort: true);
                    return;
                }
                _sentOfFirst += sent;
                if (_sentOfFirst < length)
                {
                    // The kernel's buffer is full: the rest goes when it has room.
                    SendRestAsync(first.Write);
                    return;
                }
            }
            WriteDone();
        }
        if (_closeCommander is not null)
            Finish(Tcp.Closed.Instance, _closeCommander, abort: false);
    }

    private void SendRestAsync(Tcp.SimpleWriteCommand write)
    {
        if (_sendArgs is null)
        {
            _sendArgs = new SocketAsyncEventArgs();
            _sendArgs.Completed += (_, e) => _self.Tell(new SendCompleted(e.SocketError, e.BytesTransferred));
        }
        if (write is GatherWrite gather)
        {
            // The segments themselves, not a copy: they stay untouched until the ack.
            _sendArgs.SetBuffer(null, 0, 0);
            _sendArgs.BufferList = GatherWrite.After(gather.Segments, _sentOfFirst);
        }
        else
        {
            _sendArgs.BufferList = null;
            // A ByteString gives its bytes out only as a span or a copy, and a span cannot wait for the kernel.
            _sendArgs.SetBuffer(((Tcp.Write)write).Data.Slice((int)_sentOfFirst).ToArray());
        }
        _sendPending = true;
        if (!_socket.SendAsync(_sendArgs))
            _self.Tell(new SendCompleted(_sendArgs.SocketError, _sendArgs.BytesTransferred));
    }

    private void OnSendCompleted(SendCompleted done)
    {
        _sendPending = false;
        // The event args would otherwise keep the last write's memory (a lent 16 MiB payload, say)
        // alive for as long as the connection lives.
        if (_sendArgs!.BufferList is not null)
            _sendArgs.BufferList = null;
        else
            _sendArgs.SetBuffer(null, 0, 0);
        if (_closed)
            return;
        if (done.Error != SocketError.Success)
        {
            Finish(new Tcp.ErrorClosed(done.Error.ToString()), null, abort: true);
            return;
        }
        _sentOfFirst += done.Bytes;
        SendQueued();
    }

    private void WriteDone()
    {
        var (write, commander) = _writes.Dequeue();
        _sentOfFirst = 0;
        if (write.WantsAck)
            commander.Tell(write.Ack);
    }

    // ---------------------------------------------------------------- closing

    private void Finish(Tcp.ConnectionClosed why, IActorRef? commander, bool abort)
    {
        if (_closed)
            return;
        if (why is Tcp.Closed)
            CloseAndDrain();
        else
            CloseSocket(abort);
        var handler = _handler;
        if (commander is not null && !commander.IsNobody())
            commander.Tell(why);
        if (handler is not null && !handler.Equals(commander))
            handler.Tell(why);
        foreach (var (write, sender) in _writes)
            sender.Tell(new Tcp.CommandFailed(write));
        _writes.Clear();
        Context.Stop(Self);
    }

    private void CloseSocket(bool abort)
    {
        _closed = true;
        try
        {
            if (abort)
                _socket.LingerState = new LingerOption(true, 0); // RST, not FIN
            else
                _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        TakeDisposed()?.Invoke();
    }

    private Action? TakeDisposed() => Interlocked.Exchange(ref _disposed, null);

    private void CloseAndDrain()
    {
        _closed = true;
        CloseGracefully(_socket, _drainTimeout, TakeDisposed());
    }

    /// <summary>
    /// Our close: FIN now, and the socket kept open, reading and dropping, until the peer's FIN or
    /// <paramref name="drainTimeout"/>; then it is disposed and <paramref name="disposed"/> told.
    /// Closed at once, a socket that still receives answers with a reset (RFC 1122 §4.2.2.13), and a
    /// reset can destroy data the peer has not read yet (our close frame among it); a peer that
    /// answers our close frame, or that was still sending when it came, would see exactly that.
    /// </summary>
    internal static void CloseGracefully(Socket socket, TimeSpan drainTimeout, Action? disposed)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            disposed?.Invoke();
            return;
        }
        _ = DrainAsync(socket, drainTimeout, disposed);
    }

    private static async Task DrainAsync(Socket socket, TimeSpan drainTimeout, Action? disposed)
    {
        var sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var timeout = new CancellationTokenSource(drainTimeout);
            while (await socket.ReceiveAsync(sink, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(sink);
            disposed?.Invoke();
        }
    }
}
