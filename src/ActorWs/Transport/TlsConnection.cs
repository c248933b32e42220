using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorWs.Dispatch;

namespace ActorWs.Transport;

/// <summary>
/// One TLS connection as an actor that speaks the same subset of Akka.IO's connection protocol as
/// <see cref="SocketConnection"/> (<c>Register</c>, <c>Write</c> with an ack, <c>SuspendReading</c>/
/// <c>ResumeReading</c>, <c>Close</c>, <c>Abort</c> in; <c>Received</c>, <c>PeerClosed</c>,
/// <c>ErrorClosed</c>, <c>Closed</c>, <c>Aborted</c> out), carrying the bytes through an
/// <see cref="SslStream"/>: the handshake, reader, writer, pinger and close actors above it are the
/// same for ws:// and wss:// (RFC 6455 §3: wss is the same protocol "over TLS").
/// <para>
/// The TLS handshake starts when the handler registers, and must complete within
/// <c>actorws.handshake.timeout</c>; the handler is told <see cref="Established"/> before the first
/// <c>Received</c>, or <see cref="HandshakeFailed"/> before <c>ErrorClosed</c>. Writes told before
/// then (a client's upgrade request) wait for it: §4.1, "If /secure/ is true, the client MUST perform
/// a TLS handshake over the connection after opening the connection and before sending the
/// handshake data".
/// </para>
/// <para>
/// The guarantees of <see cref="SocketConnection"/> hold: an idle connection waits with a zero-byte
/// read (SslStream then holds no read buffer, and passes the zero-byte read down to the socket); a
/// read takes at most one TLS record's worth (16 KiB, RFC 8446 §5.1) of plaintext, copied out of a
/// pooled buffer that goes back at once; at most one write is in SslStream at a time, and the writer
/// above bounds what queues. Our close sends close_notify (RFC 8446 §6.1) before FIN, then reads and
/// drops until the peer's end or <c>actorws.tcp.drain-timeout</c>.
/// </para>
/// </summary>
internal sealed class TlsConnection : UntypedActor
{
    /// <summary>To the handler: the TLS handshake completed, with what was agreed.</summary>
    public sealed record Established(SslProtocols Protocol, TlsCipherSuite CipherSuite, string PeerCertificate, string? ApplicationProtocol);

    /// <summary>To the handler: the TLS handshake failed; <c>ErrorClosed</c> (or <c>Closed</c>) follows.</summary>
    public sealed record HandshakeFailed(TlsFailedException Error);

    private sealed record HandshakeDone(Established? Established, TlsFailedException? Error, bool AnsweredPlainHttp);
    private sealed record ReadEnded(Tcp.ConnectionClosed Why);
    private sealed record WriteCompleted(Exception? Error);

    /// <summary>The most plaintext one TLS record carries (RFC 8446 §5.1: 2^14 bytes), and so what one read takes.</summary>
    private const int RecordSize = 16 * 1024;
    /// <summary>Writes queued together are sent as one, up to this, so that small frames share records.</summary>
    private const int CoalesceLimit = RecordSize;
    /// <summary>Pieces of a write smaller than this are joined with their neighbours rather than
    /// given to SslStream one by one, each its own record.</summary>
    private const int JoinBelow = 2048;
    private static long _spawned;

    private readonly Socket _socket;
    private readonly SniffingStream _sniff;
    private readonly SslStream _ssl;
    private readonly Func<Action<TlsFailedException>, object> _authenticationOptions;
    private readonly bool _isServer;
    private readonly int _maxReadSize;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TimeSpan _drainTimeout;
    private readonly IActorRef _self;
    private Action? _disposed;
    private int _disposedOnce;
    private readonly Queue<(Tcp.SimpleWriteCommand Write, IActorRef Commander)> _writes = new();
    private int _writesInFlight;
    private IActorRef? _closeCommander;
    private bool _authenticated;
    private bool _handshakeStarted;
    private CancellationTokenSource? _drain;

    // Shared with the read pump, which runs on I/O threads.
    private volatile IActorRef? _handler;
    private volatile bool _suspended;
    private volatile bool _closed;
    private volatile bool _draining;
    private int _reading;

    public TlsConnection(Socket socket, WebSocketSettings settings, bool isServer, Func<Action<TlsFailedException>, object> authenticationOptions, Action? disposed)
    {
        _socket = socket;
        _isServer = isServer;
        _disposed = disposed;
        if (settings.ReceiveBufferSize > 0)
            _socket.ReceiveBufferSize = settings.ReceiveBufferSize; // bounds what the kernel holds while reading is paused
        _socket.NoDelay = true;
        _maxReadSize = Math.Min(settings.MaxReadSize, RecordSize);
        _handshakeTimeout = settings.HandshakeTimeout;
        _drainTimeout = settings.DrainTimeout;
        _authenticationOptions = authenticationOptions;
        _self = Self;
        _sniff = new SniffingStream(new NetworkStream(socket, ownsSocket: true));
        _ssl = new SslStream(_sniff, leaveInnerStreamOpen: false);
    }

    /// <summary>A server's side of an accepted socket, with the certificate of <paramref name="tls"/>.</summary>
    public static IActorRef SpawnServer(ActorSystem system, Socket socket, WebSocketSettings settings, TlsServerSettings tls, Action? disposed) =>
        Spawn(system, Akka.Actor.Props.Create(() => new TlsConnection(socket, settings, true, ServerOptions(tls), disposed)));

    private static Func<Action<TlsFailedException>, object> ServerOptions(TlsServerSettings tls) => _ => new SslServerAuthenticationOptions
        {
            ServerCertificateContext = tls.Context,
            EnabledSslProtocols = tls.Protocols,
            // A server answers HTTP/1.1 for the upgrade (RFC 6455 §4.1); ALPN (RFC 7301) says so to a client that offers h2 too.
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };

    /// <summary>A client's side of a connected socket to <paramref name="host"/>, checked as <paramref name="tls"/> says.</summary>
    public static IActorRef SpawnClient(ActorSystem system, Socket socket, WebSocketSettings settings, string host, TlsClientOptions tls) =>
        Spawn(system, Akka.Actor.Props.Create(() => new TlsConnection(socket, settings, false, ClientOptions(host, tls), null)));

    private static Func<Action<TlsFailedException>, object> ClientOptions(string host, TlsClientOptions tls) =>
        refused => TlsValidation.ClientOptions(host, tls, refused);

    private static IActorRef Spawn(ActorSystem system, Props props) =>
        ((ExtendedActorSystem)system).SystemActorOf(props.UseLeanMailbox(system), $"actorws-tls-{Interlocked.Increment(ref _spawned)}");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Write or GatherWrite:
                OnWrite((Tcp.SimpleWriteCommand)message);
                break;
            case WriteCompleted done:
                OnWriteCompleted(done);
                break;
            case Tcp.Register register:
                _handler = register.Handler; // not watched: it tells StopSignals.HandlerStopped
                if (!_handshakeStarted)
                {
                    _handshakeStarted = true;
                    _ = AuthenticateAsync();
                }
                else
                    StartReading();
                break;
            case HandshakeDone done:
                OnHandshakeDone(done);
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
                // Before TLS is up nothing queued can be sent (it would have to be encrypted): the close is an abort.
                if (!_authenticated)
                    Finish(Tcp.Closed.Instance, Sender, abort: true);
                else if (_writes.Count == 0 && _writesInFlight == 0)
                    Finish(Tcp.Closed.Instance, Sender, abort: false);
                break;
            case ReadEnded ended:
                Finish(ended.Why, null, abort: ended.Why is Tcp.ErrorClosed);
                break;
            // Behind what the handler queued before it stopped, as in SocketConnection.
            case StopSignals.HandlerStopped:
                Finish(Tcp.Aborted.Instance, null, abort: true);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop()
    {
        if (!_closed)
        {
            Abort();
            _handler?.Tell(StopSignals.SocketStopped.Instance, _self); // as in SocketConnection
        }
    }

    // ---------------------------------------------------------------- the TLS handshake

    private async Task AuthenticateAsync()
    {
        TlsFailedException? refused = null;
        var options = _authenticationOptions(e => refused = e);
        using var timeout = new CancellationTokenSource(_handshakeTimeout);
        try
        {
            if (options is SslServerAuthenticationOptions server)
                await _ssl.AuthenticateAsServerAsync(server, timeout.Token);
            else
                await _ssl.AuthenticateAsClientAsync((SslClientAuthenticationOptions)options, timeout.Token);
            _self.Tell(new HandshakeDone(new Established(_ssl.SslProtocol, _ssl.NegotiatedCipherSuite,
                TlsValidation.Subject(_ssl.RemoteCertificate), _ssl.NegotiatedApplicationProtocol.Protocol.IsEmpty ? null : _ssl.NegotiatedApplicationProtocol.ToString()), null, false));
        }
        catch (Exception e)
        {
            var error = refused ?? Classify(e, timeout.IsCancellationRequested);
            bool answered = _isServer && error.Reason == TlsFailureReason.NotTls && _sniff.LooksLikeHttpRequest && AnswerPlainHttp();
            _self.Tell(new HandshakeDone(null, error, answered));
        }
    }

    /// <summary>Names what went wrong from what the peer sent: SslStream's own messages ("cannot
    /// determine the frame size") do not say that the peer spoke plain HTTP.</summary>
    private TlsFailedException Classify(Exception e, bool timedOut)
    {
        if (timedOut)
            return new TlsFailedException(TlsFailureReason.TimedOut, $"TLS handshake not completed within {_handshakeTimeout.TotalSeconds:0.###} s", e);
        // RFC 8446 §5.1: a record starts with its content type, 22 (0x16) for a handshake, 21 (0x15) for an alert.
        if (_sniff.First.Length > 0 && _sniff.First[0] is not (0x16 or 0x15))
            return new TlsFailedException(TlsFailureReason.NotTls, _isServer
                ? $"not TLS: the client sent {_sniff.Printable()} instead of a ClientHello (a ws:// client on a wss:// port?)"
                : $"not TLS: the server answered {_sniff.Printable()} instead of a ServerHello (a ws:// endpoint?)", e);
        var why = Messages(e);
        if (e is AuthenticationException)
            return new TlsFailedException(TlsFailureReason.HandshakeFailed, $"TLS handshake failed: {why}", e);
        return new TlsFailedException(TlsFailureReason.ConnectionLost, $"TCP lost during the TLS handshake: {why}", e);
    }

    private static string Messages(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (!x.Message.StartsWith("Authentication failed, see inner exception", StringComparison.Ordinal))
                parts.Add(x.Message.TrimEnd('.'));
        return parts.Count == 0 ? e.Message : string.Join(": ", parts.Distinct());
    }

    /// <summary>A plain HTTP request on a TLS port gets a plain answer, as web servers give it, so that
    /// the client's user reads why instead of a bare reset. Nothing of TLS was sent yet: SslStream
    /// failed on the first record's header.</summary>
    private bool AnswerPlainHttp()
    {
        const string body = "This port speaks TLS: connect with wss:// (or https://).\n";
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n" +
            $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        try
        {
            _socket.Send(response);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void OnHandshakeDone(HandshakeDone done)
    {
        if (_closed)
            return;
        var handler = _handler!;
        if (done.Error is { } error)
        {
            handler.Tell(new HandshakeFailed(error));
            if (done.AnsweredPlainHttp)
                Finish(Tcp.Closed.Instance, null, abort: false, plainSocket: true);
            else
                Finish(new Tcp.ErrorClosed(error.Message), null, abort: true);
            return;
        }
        _authenticated = true;
        _sniff.StopSniffing();
        handler.Tell(done.Established!);
        if (_closeCommander is not null)
        {
            Finish(Tcp.Closed.Instance, _closeCommander, abort: true);
            return;
        }
        SendQueued();
        StartReading();
    }

    // ---------------------------------------------------------------- reading (any thread)

    private void StartReading()
    {
        if (_authenticated && _handler is not null && !_suspended && !_closed && Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
            _ = PumpAsync();
    }

    /// <summary>The one reader of the SslStream (it allows one read and one write at a time): it
    /// delivers while the connection is up, and drains after our close.</summary>
    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                if (_draining)
                {
                    await DrainAsync();
                    return;
                }
                if (_suspended || _closed)
                {
                    Volatile.Write(ref _reading, 0);
                    // A resume (or our close) between the check and the write found the pump still running.
                    if (!((!_suspended && !_closed) || _draining) || Interlocked.CompareExchange(ref _reading, 1, 0) != 0)
                        return;
                    continue;
                }
                // Zero bytes: completes when a record (or the end) is there, holding no buffer meanwhile.
#pragma warning disable CA2022 // a zero-byte read returns 0 by design: it only waits for data
                await _ssl.ReadAsync(Memory<byte>.Empty);
#pragma warning restore CA2022
                if (_closed || _suspended)
                    continue; // closing: drained or left; paused: the record waits in SslStream, the rest in the kernel
                var pooled = ArrayPool<byte>.Shared.Rent(RecordSize);
                int n;
                try
                {
                    n = await _ssl.ReadAsync(pooled.AsMemory(0, _maxReadSize));
                    if (n > 0 && !_closed)
                        _handler!.Tell(new SocketRead(pooled.AsSpan(0, n).ToArray()), _self); // out of the pool: the reader keeps it
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(pooled);
                }
                if (n == 0)
                {
                    // The peer's close_notify, or its FIN (RFC 8446 §6.1 allows a FIN without it once the application is done).
                    _self.Tell(new ReadEnded(Tcp.PeerClosed.Instance));
                    return;
                }
            }
        }
        catch (Exception e)
        {
            if (_draining)
                DisposeAll();
            else if (!_closed)
                _self.Tell(new ReadEnded(new Tcp.ErrorClosed(e is IOException { InnerException: SocketException s } ? s.SocketErrorCode.ToString() : e.Message)));
        }
    }

    /// <summary>After our close: what the peer still sends is read and dropped until its close_notify
    /// or FIN (or the drain timeout disposes the socket under the read).</summary>
    private async Task DrainAsync()
    {
        var sink = ArrayPool<byte>.Shared.Rent(RecordSize);
        try
        {
            while (await _ssl.ReadAsync(sink) > 0)
            {
            }
        }
        catch (Exception)
        {
            // Reset, or the socket disposed at the drain timeout: the drain is over either way.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
            DisposeAll();
        }
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
        if (_authenticated && _writesInFlight == 0)
            SendQueued();
    }

    private void SendQueued()
    {
        while (_writes.Count > 0 && !_closed)
        {
            // Small writes queued together go as one: one TLS record, one send, instead of one each.
            int count = 1;
            long total = _writes.Peek().Write.Bytes;
            foreach (var (w, _) in _writes.Skip(1))
            {
                if (total + w.Bytes > CoalesceLimit)
                    break;
                total += w.Bytes;
                count++;
            }
            var pieces = Pieces(_writes.Take(count).Select(w => w.Write), total);
            _writesInFlight = count;
            for (int i = 0; i < pieces.Count; i++)
            {
                ValueTask pending;
                try
                {
                    pending = _ssl.WriteAsync(pieces[i]);
                }
                catch (Exception e)
                {
                    OnWriteCompleted(new WriteCompleted(e));
                    return;
                }
                if (!pending.IsCompleted)
                {
                    _ = WhenWritten(pending, _ssl, pieces, i + 1, _self);
                    return;
                }
                try
                {
                    pending.GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    OnWriteCompleted(new WriteCompleted(e));
                    return;
                }
            }
            WritesDone();
        }
        if (_closeCommander is not null && _writes.Count == 0 && _writesInFlight == 0)
            Finish(Tcp.Closed.Instance, _closeCommander, abort: false);
    }

    /// <summary>
    /// What goes to SslStream, one WriteAsync each (it takes one buffer at a time): a gather write's
    /// large segments as they are, lent payloads without a copy; small pieces (frame headers, small
    /// frames) joined so that they share a record with each other instead of taking one each.
    /// </summary>
    private static List<ReadOnlyMemory<byte>> Pieces(IEnumerable<Tcp.SimpleWriteCommand> writes, long total)
    {
        var pieces = new List<ReadOnlyMemory<byte>>(1);
        byte[]? joined = null;
        int joinedLength = 0;
        foreach (var write in writes)
        {
            if (write is GatherWrite gather)
            {
                foreach (var segment in gather.Segments)
                {
                    if (segment.Count >= JoinBelow)
                    {
                        EndJoined();
                        pieces.Add(segment);
                    }
                    else
                        segment.AsSpan().CopyTo(Join(segment.Count));
                }
            }
            else
            {
                var data = ((Tcp.Write)write).Data;
                if (data.Count >= JoinBelow)
                {
                    EndJoined();
                    pieces.Add(AsMemory(data));
                }
                else
                {
                    var room = Join(data.Count);
                    data.CopyTo(ref room);
                }
            }
        }
        EndJoined();
        return pieces;

        Span<byte> Join(int length)
        {
            if (joined is not null && joinedLength + length > joined.Length)
                EndJoined();
            joined ??= new byte[Math.Clamp(total, length, RecordSize)];
            var room = joined.AsSpan(joinedLength, length);
            joinedLength += length;
            return room;
        }

        void EndJoined()
        {
            if (joinedLength > 0)
                pieces.Add(joined.AsMemory(0, joinedLength));
            (joined, joinedLength) = (null, 0);
        }
    }

    private static async Task WhenWritten(ValueTask pending, SslStream ssl, List<ReadOnlyMemory<byte>> pieces, int next, IActorRef self)
    {
        try
        {
            await pending;
            for (; next < pieces.Count; next++)
                await ssl.WriteAsync(pieces[next]);
            self.Tell(new WriteCompleted(null));
        }
        catch (Exception e)
        {
            self.Tell(new WriteCompleted(e));
        }
    }

    // SslStream encrypts into its own buffer: the copy is the only one, and the ByteString is not pinned meanwhile.
    private static ReadOnlyMemory<byte> AsMemory(ByteString data) => data.ToArray();

    private void OnWriteCompleted(WriteCompleted done)
    {
        if (_closed)
            return;
        if (done.Error is { } e)
        {
            _writesInFlight = 0;
            Finish(new Tcp.ErrorClosed(e is IOException { InnerException: SocketException s } ? s.SocketErrorCode.ToString() : e.Message), null, abort: true);
            return;
        }
        WritesDone();
        SendQueued();
    }

    private void WritesDone()
    {
        for (int i = 0; i < _writesInFlight; i++)
        {
            var (write, commander) = _writes.Dequeue();
            if (write.WantsAck)
                commander.Tell(write.Ack);
        }
        _writesInFlight = 0;
    }

    // ---------------------------------------------------------------- closing

    private void Finish(Tcp.ConnectionClosed why, IActorRef? commander, bool abort, bool plainSocket = false)
    {
        if (_closed)
            return;
        if (abort)
            Abort();
        else if (plainSocket)
        {
            _closed = true;
            // The plain answer is on the socket: FIN and drain as a plain connection would.
            SocketConnection.CloseGracefully(_socket, _drainTimeout, TakeDisposed());
        }
        else if (why is Tcp.Closed)
            CloseAndDrain();
        else
            CloseAfterPeer();
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

    private void Abort()
    {
        _closed = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0); // RST, not FIN
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        DisposeAll();
    }

    private Action? TakeDisposed() => Interlocked.Exchange(ref _disposed, null);

    private void DisposeAll()
    {
        if (Interlocked.Exchange(ref _disposedOnce, 1) != 0)
            return;
        try
        {
            _ssl.Dispose(); // and with it the NetworkStream and the socket
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        _drain?.Dispose();
        TakeDisposed()?.Invoke();
    }

    /// <summary>
    /// Our close: close_notify (RFC 8446 §6.1, "Each party MUST send a close_notify alert before closing
    /// its write side"), then FIN, then the pump reads and drops until the peer's end, at most
    /// <c>actorws.tcp.drain-timeout</c>; as in <see cref="SocketConnection.CloseGracefully"/>, closing at once
    /// would answer with a reset that can destroy our close frame before the peer reads it.
    /// </summary>
    private void CloseAndDrain()
    {
        _draining = true;
        _closed = true;
        _drain = new CancellationTokenSource(_drainTimeout);
        _drain.Token.Register(static c => ((TlsConnection)c!).DisposeAll(), this);
        _ = CloseNotifyThenFinAsync();
        // The pump drains; started here when it is not running (paused, or never started).
        if (Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
            _ = PumpAsync();
    }

    private async Task CloseNotifyThenFinAsync()
    {
        try
        {
            await _ssl.ShutdownAsync();
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            DisposeAll(); // the peer reset or is gone: there is nothing to drain
        }
    }

    /// <summary>The peer ended TCP (or sent close_notify): ours back, then the socket goes.</summary>
    private void CloseAfterPeer()
    {
        _closed = true;
        if (_writesInFlight > 0)
        {
            DisposeAll(); // a write is in SslStream: no close_notify can go after it
            return;
        }
        _ = CloseAfterPeerAsync();
    }

    private async Task CloseAfterPeerAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_drainTimeout);
            await _ssl.ShutdownAsync().WaitAsync(timeout.Token);
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception)
        {
            // The peer is gone already: nothing more to say to it.
        }
        DisposeAll();
    }

    /// <summary>
    /// The NetworkStream under SslStream, keeping the first bytes the peer sent: when the TLS handshake
    /// fails on them, they say whether the peer spoke plain HTTP. Everything else passes through,
    /// zero-byte reads included.
    /// </summary>
    private sealed class SniffingStream(NetworkStream inner) : Stream
    {
        private const int Keep = 48; // a request or status line, as far as it says anything
        private byte[] _first = [];
        private volatile bool _sniffing = true;

        /// <summary>The handshake is done: reads pass straight through from now on, without a state
        /// machine of this stream's own held by an idle connection's pending read.</summary>
        public void StopSniffing() => _sniffing = false;

        public ReadOnlySpan<byte> First => _first;

        /// <summary>An HTTP method's first letter (RFC 9110 §9: tokens, by convention upper case).</summary>
        public bool LooksLikeHttpRequest => _first.Length > 0 && _first[0] is >= (byte)'A' and <= (byte)'Z';

        /// <summary>The first bytes as text when they are printable, else as hex.</summary>
        public string Printable()
        {
            var first = _first;
            int line = Array.IndexOf(first, (byte)'\r');
            var text = first.AsSpan(0, line < 0 ? first.Length : line);
            foreach (var b in text)
                if (b is < 0x20 or > 0x7e)
                    return $"bytes {Convert.ToHexString(first)}…";
            return $"'{Encoding.ASCII.GetString(text)}…'";
        }

        private void Keep_(ReadOnlySpan<byte> read)
        {
            if (_first.Length < Keep && read.Length > 0)
                _first = [.. _first, .. read[..Math.Min(read.Length, Keep - _first.Length)]];
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _sniffing ? SniffAsync(buffer, cancellationToken) : inner.ReadAsync(buffer, cancellationToken);

        private async ValueTask<int> SniffAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            if (_first.Length < Keep)
                Keep_(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            if (_first.Length < Keep)
                Keep_(buffer.AsSpan(offset, n));
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
