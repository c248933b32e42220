using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Testing;

/// <summary>
/// The other end of an ActorWs connection on a raw socket, so that a test controls every byte and
/// every TCP event (FIN, RST, not reading). As a client of the ActorWs server (<see cref="OpenAsync"/>,
/// <see cref="ConnectAsync"/>) it does the opening handshake by hand and masks its frames; as a fake
/// server for the ActorWs client (<see cref="LoopbackListener.AcceptAsync"/>) it checks the client's
/// request, answers with the right Accept and sends unmasked frames. Either way what ActorWs sends
/// back is read with <see cref="FrameReader"/>, so every frame it sends is checked against RFC 6455
/// (masking for its role included) by code that is not ActorWs's.
/// </summary>
public sealed class RawPeer : IDisposable
{
    /// <summary>How long a read, a send or a connect may take before the test fails: a limit for a
    /// hung connection, never a measurement (a passing test does not wait it out, and a machine
    /// running two test suites can be slow).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly FrameReader _reader;
    // Bytes received and not yet taken by ReadHeadAsync or handed to the frame reader: the bytes
    // after an HTTP head may already be frames.
    private readonly byte[] _received = new byte[256 * 1024];
    private int _start, _end;

    private RawPeer(Socket socket, bool masks)
    {
        Socket = socket;
        Masks = masks;
        _reader = new FrameReader(masks ? Role.Server : Role.Client);
    }

    public Socket Socket { get; }

    /// <summary>Whether this peer plays the client, whose frames are masked (§5.1).</summary>
    public bool Masks { get; }

    /// <summary>True when the last read ended with a TCP reset rather than a FIN.</summary>
    public bool WasReset { get; private set; }

    /// <summary>What a failure message adds about the ActorWs side (what its handler got, say).</summary>
    public Func<string>? Describe { get; set; }

    /// <summary>permessage-deflate was negotiated: the frames read may carry RSV1 as RFC 7692 §6.1 allows.</summary>
    public bool PerMessageDeflate { get => _reader.PerMessageDeflate; set => _reader.PerMessageDeflate = value; }

    private string Other => Masks ? "the ActorWs server" : "the ActorWs client";

    private string Context => Describe is { } describe ? $"; {describe()}" : "";

    // ---------------------------------------------------------------- opening

    /// <summary>A TCP connection to a server, with no handshake. <paramref name="receiveBuffer"/>
    /// fixes SO_RCVBUF before connecting (which also turns off its autotuning): a small one makes a
    /// peer that does not read fill up quickly.</summary>
    public static async Task<RawPeer> ConnectAsync(IPEndPoint server, int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is { } size)
            socket.ReceiveBufferSize = size;
        try
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(server, cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RawPeer(socket, masks: true);
    }

    /// <summary>Connects and completes the opening handshake for <paramref name="uri"/>: a request
    /// with a fresh key, and the server's answer checked as §4.1 tells a client to
    /// (<see cref="UpgradeCheck.Response"/>).</summary>
    public static async Task<RawPeer> OpenAsync(Uri uri, IPEndPoint server, string? origin = null, int? receiveBuffer = null)
    {
        var (peer, key, head) = await UpgradeAsync(uri, server, origin, receiveBuffer);
        var problem = head is null ? "TCP closed before the answer's head ended" : UpgradeCheck.Response(head, key);
        if (problem is not null)
        {
            peer.Dispose();
            throw new InvalidOperationException($"the server's answer to the upgrade breaks RFC 6455 §4.1: {problem}\n{head}");
        }
        return peer;
    }

    /// <summary>Connects and sends an upgrade request for <paramref name="uri"/> with a fresh key; the
    /// server's answer is returned as it came, not judged (null when TCP closed before its head
    /// ended): for a test about refusals (503, 426, ...). The peer is the caller's to dispose.</summary>
    public static async Task<(RawPeer Peer, string? Head)> RequestUpgradeAsync(Uri uri, IPEndPoint server, string? origin = null, int? receiveBuffer = null)
    {
        var (peer, _, head) = await UpgradeAsync(uri, server, origin, receiveBuffer);
        return (peer, head);
    }

    private static async Task<(RawPeer Peer, string Key, string? Head)> UpgradeAsync(Uri uri, IPEndPoint server, string? origin, int? receiveBuffer)
    {
        var peer = await ConnectAsync(server, receiveBuffer);
        try
        {
            var key = Wire.NewKey();
            await peer.SendAsync(Wire.Ascii(Wire.UpgradeRequest(uri, key, origin)));
            return (peer, key, await peer.ReadHeadAsync());
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one connection and plays the server's side of the opening handshake: the
    /// client's request checked (<see cref="UpgradeCheck.Request"/>), then a 101 with the Accept for
    /// its key.</summary>
    internal static async Task<RawPeer> AcceptAsync(TcpListener listener, string? path, TimeSpan timeout)
    {
        var socket = await listener.AcceptSocketAsync().WaitAsync(timeout);
        socket.NoDelay = true;
        var peer = new RawPeer(socket, masks: false);
        try
        {
            var head = await peer.ReadHeadAsync(timeout) ?? throw new InvalidOperationException("the client closed TCP during the opening handshake");
            var (problem, key) = UpgradeCheck.Request(head, path);
            if (problem is not null)
                throw new InvalidOperationException($"the client's upgrade request breaks RFC 6455 §4.1: {problem}\n{head}");
            await peer.SendAsync(Wire.Ascii(Wire.SwitchingProtocols(key!)));
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one connection and reads or answers nothing: a scripted server reads the
    /// client's request (<see cref="ReadHeadAsync"/>) and sends whatever answer a test needs (a 101
    /// that breaks a rule, a refusal with a body).</summary>
    internal static async Task<RawPeer> AcceptUnansweredAsync(TcpListener listener, TimeSpan timeout)
    {
        var socket = await listener.AcceptSocketAsync().WaitAsync(timeout);
        socket.NoDelay = true;
        return new RawPeer(socket, masks: false);
    }

    // ---------------------------------------------------------------- sending

    /// <summary>A frame from this peer: masked when it plays the client.</summary>
    public byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0) => Wire.Frame(opcode, payload, Masks, fin, rsv);

    public byte[] Text(string text, bool fin = true) => Frame(Opcode.Text, Wire.Utf8(text), fin);

    public byte[] Close(ushort code, string reason = "") => Frame(Opcode.Close, Wire.ClosePayload(code, reason));

    /// <summary>Writes bytes, in TCP writes of <paramref name="chop"/> bytes when it is positive.
    /// A write that cannot complete (the other side does not read) fails with
    /// <see cref="OperationCanceledException"/> after <see cref="DefaultTimeout"/>.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes, int chop = 0)
    {
        int step = chop > 0 ? chop : Math.Max(bytes.Length, 1);
        for (int offset = 0; offset < bytes.Length; offset += step)
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await Socket.SendAsync(bytes.Slice(offset, Math.Min(step, bytes.Length - offset)), SocketFlags.None, cts.Token);
        }
    }

    /// <summary>Writes frames in one write (or whatever bytes: a head and frames after it).</summary>
    public Task SendAsync(params byte[][] frames) => SendAsync((ReadOnlyMemory<byte>)(frames.Length == 1 ? frames[0] : Wire.Concat(frames)), chop: 0);

    /// <summary>Drops the connection with a TCP reset (RST): SO_LINGER on with a zero timeout, then close.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    // ---------------------------------------------------------------- receiving

    /// <summary>Reads up to the end of an HTTP head (CRLFCRLF) and returns it; the bytes after it
    /// stay for <see cref="ReadFrameAsync"/>. Null when TCP closed before the head ended.</summary>
    public async Task<string?> ReadHeadAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            int end = _received.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_received, _start, end + 4);
                _start += end + 4;
                return head;
            }
            if (await ReceiveAsync(cts.Token, limit) == 0)
                return null;
        }
    }

    /// <summary>The next frame from ActorWs, or null when TCP closed (FIN or RST) first. A frame that
    /// breaks RFC 6455 fails with <see cref="RfcViolationException"/>; a FIN inside a frame fails too
    /// (ActorWs closes TCP after whole frames; a reset may cut one off, and is not judged).</summary>
    public async Task<WireFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            if (_start < _end)
            {
                _reader.Append(_received.AsSpan(_start, _end - _start));
                _start = _end = 0;
            }
            try
            {
                if (_reader.Next() is { } frame)
                    return frame;
            }
            catch (RfcViolationException e)
            {
                throw new RfcViolationException($"{Other} sent a frame that breaks {e.Message}{Context}", e);
            }
            if (await ReceiveAsync(cts.Token, limit) == 0)
            {
                if (!WasReset && _reader.HasPartialFrame)
                    throw new InvalidOperationException($"{Other} closed TCP (FIN) inside a frame, {_reader.Buffered} bytes into it{Context}");
                return null;
            }
        }
    }

    /// <summary>Reads frames until TCP closes; fails if it does not close within the timeout.</summary>
    public async Task<List<WireFrame>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var frames = new List<WireFrame>();
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (await ReadFrameAsync(Remaining(deadline)) is { } frame)
            frames.Add(frame);
        return frames;
    }

    /// <summary>Every byte until TCP closes (FIN or RST), unread ones included: an HTTP refusal, say.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        var all = new List<byte>();
        while (true)
        {
            all.AddRange(_received.AsSpan(_start, _end - _start).ToArray());
            _start = _end = 0;
            if (await ReceiveAsync(cts.Token, limit) == 0)
                return all.ToArray();
        }
    }

    /// <summary>Reads and drops raw bytes until TCP closes; returns how many came.</summary>
    public async Task<long> DrainUntilClosedAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        long total = _end - _start;
        _start = _end = 0;
        while (true)
        {
            int n = await ReceiveAsync(cts.Token, limit);
            if (n == 0)
                return total;
            total += n;
            _start = _end = 0;
        }
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>One receive after the bytes not taken yet; 0 when TCP closed (FIN, or RST: see
    /// <see cref="WasReset"/>).</summary>
    private async Task<int> ReceiveAsync(CancellationToken token, TimeSpan timeout)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_received, _start, _received, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _received.Length)
            throw new InvalidOperationException($"{_received.Length} bytes without the end of an HTTP head");
        int n;
        try
        {
            n = await Socket.ReceiveAsync(_received.AsMemory(_end), SocketFlags.None, token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing more from {Other} within {timeout.TotalSeconds:0.###} s{Context}");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            WasReset = true;
            return 0;
        }
        _end += n;
        return n;
    }

    public void Dispose() => Socket.Dispose();
}
