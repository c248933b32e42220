using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>
/// The other end of an ActorWs connection on a raw socket, so that a test controls every byte and
/// every TCP event (FIN, RST, not reading). As a client of the ActorWs server it masks its frames
/// and checks the server's with <see cref="FrameDecoder"/> in the client role; as a fake server for
/// the ActorWs client it sends unmasked frames and checks the client's in the server role.
/// </summary>
public sealed class RawPeer : IDisposable
{
    /// <summary>How long a read or a connect waits before the test fails: generous, because a
    /// passing test never waits it out, and a machine running two test suites can be slow.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly FrameDecoder _decoder;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start, _end;

    private RawPeer(Socket socket, bool masks)
    {
        Socket = socket;
        Masks = masks;
        _decoder = new FrameDecoder(masks ? Role.Client : Role.Server, 64L * 1024 * 1024);
    }

    public Socket Socket { get; }

    /// <summary>Frames from this peer are masked when it plays the client (§5.3).</summary>
    public bool Masks { get; }

    /// <summary>True when the last read ended with a TCP reset rather than a FIN.</summary>
    public bool WasReset { get; private set; }

    /// <summary>A TCP connection to the server. <paramref name="receiveBuffer"/> fixes SO_RCVBUF
    /// before connecting (which also turns off its autotuning): a small one makes a peer that
    /// does not read fill up quickly.</summary>
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

    /// <summary>Connects and completes the opening handshake (§4.1), checking the server's 101.</summary>
    public static async Task<RawPeer> OpenAsync(Uri uri, IPEndPoint server, string? origin = null, int? receiveBuffer = null)
    {
        var peer = await ConnectAsync(server, receiveBuffer);
        try
        {
            var handshake = ClientHandshake.Create(uri, origin);
            await peer.SendAsync(handshake.Request);
            var head = await peer.ReadHeadAsync(DefaultTimeout) ?? throw new InvalidOperationException("TCP closed during the opening handshake");
            if (handshake.Validate(Encoding.ASCII.GetBytes(head)).Violation is { } error)
                throw new InvalidOperationException($"the server refused the upgrade: {error.Reason}\n{head}");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>A fake server's side of a socket it accepted.</summary>
    public static RawPeer Accepted(Socket socket)
    {
        socket.NoDelay = true;
        return new RawPeer(socket, masks: false);
    }

    // ---------------------------------------------------------------- sending

    public byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true) => Wire.Frame(opcode, payload, Masks, fin);

    public byte[] Text(string text) => Frame(Opcode.Text, Wire.Utf8(text));

    public byte[] Close(ushort code, string reason = "") => Frame(Opcode.Close, Wire.ClosePayload(code, Wire.Utf8(reason)));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await Socket.SendAsync(bytes, SocketFlags.None, cts.Token);
    }

    /// <summary>Drops the connection with a TCP reset (RST): SO_LINGER on with a zero timeout, then close.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    // ---------------------------------------------------------------- receiving

    /// <summary>Reads up to the end of an HTTP head (CRLFCRLF) and returns it; bytes after it stay
    /// buffered for <see cref="ReadFrameAsync"/>. Null when TCP closed before the head ended.</summary>
    public async Task<string?> ReadHeadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            int end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_buffer, _start, end + 4);
                _start += end + 4;
                return head;
            }
            if (await FillAsync(cts.Token, timeout) == 0)
                return null;
        }
    }

    /// <summary>The next frame from ActorWs, or null when TCP closed (FIN or RST) first.</summary>
    public async Task<WireFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            if (_start < _end)
            {
                var decoded = _decoder.Decode(_buffer.AsSpan(_start, _end - _start));
                _start += decoded.Consumed;
                if (decoded.Violation is { } violation)
                    throw new Xunit.Sdk.XunitException($"ActorWs sent a frame that breaks RFC 6455: {violation}");
                if (decoded.IsComplete)
                {
                    var frame = decoded.Value;
                    return new WireFrame(frame.Fin, frame.Header.Rsv, frame.Opcode, frame.Payload.ToArray());
                }
            }
            if (await FillAsync(cts.Token, limit) == 0)
                return null;
        }
    }

    /// <summary>Reads frames until TCP closes; fails if it does not close within the timeout.</summary>
    public async Task<List<WireFrame>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var frames = new List<WireFrame>();
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (await ReadFrameAsync(Max(deadline - DateTime.UtcNow)) is { } frame)
            frames.Add(frame);
        return frames;
    }

    /// <summary>Reads and discards raw bytes until TCP closes; returns how many came.</summary>
    public async Task<long> DrainUntilClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        long total = _end - _start;
        _start = _end = 0;
        while (true)
        {
            int n = await FillAsync(cts.Token, timeout);
            if (n == 0)
                return total;
            total += n;
            _start = _end = 0;
        }
    }

    private static TimeSpan Max(TimeSpan t) => t > TimeSpan.FromMilliseconds(1) ? t : TimeSpan.FromMilliseconds(1);

    /// <summary>One receive into the buffer; 0 when TCP closed (FIN, or RST: see <see cref="WasReset"/>).</summary>
    private async Task<int> FillAsync(CancellationToken token, TimeSpan timeout)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            throw new InvalidOperationException("receive buffer full");
        int n;
        try
        {
            n = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing more from the other side within {timeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            WasReset = true;
            return 0;
        }
        _end += n;
        return n;
    }

    public void Dispose()
    {
        Socket.Dispose();
        _decoder.Dispose();
    }
}
