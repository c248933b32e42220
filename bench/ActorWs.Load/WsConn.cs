using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ActorWs.Load;

/// <summary>
/// One client connection: raw socket, one receive buffer, an incremental RFC 6455 frame parser
/// and a ring of send timestamps (echoes arrive in order, so the head of the ring is the send
/// time of the next echo). Nothing on the receive/send hot path allocates.
/// </summary>
public sealed class WsConn
{
    public readonly Socket Socket;
    /// <summary>wss://: the TLS stream over <see cref="Socket"/>; null for ws://.</summary>
    private SslStream? _tls;
    public readonly byte[] Buf;
    private int _end;                // bytes [0,_end) of Buf are unparsed (always < 14 between receives)

    // parser state
    private bool _inFrame;
    private long _remaining;
    private int _opcode;
    private bool _fin;
    private bool _inMessage;
    private int _msgOpcode;
    private long _msgLen;
    private readonly byte[] _ctl = new byte[125];
    private int _ctlLen;

    // timestamps of messages in flight
    private readonly long[] _ring;
    private readonly int _ringMask;
    private long _head;              // consumed by the receive side
    private long _tail;              // produced by the send side

    // configuration
    public bool AllowMaskedFromPeer;
    public int ExpectedOpcode = 1;
    public long ExpectedSize = -1;

    // results
    public Histogram? Hist;
    public long Msgs;                // echoes counted while measuring
    public long Bytes;               // payload bytes of those echoes
    public long Received;            // all echoes, whatever the phase
    public int ProtocolErrors;
    public int BadEchoes;            // wrong length / type / unexpected
    public bool CloseReceived;
    public bool PongPending;
    public int CloseSent;            // 0/1, set with Interlocked
    public volatile bool Aborted;
    public string? LastError;

    // fanout mode: data messages are not echoes of our sends but broadcasts; each is collected
    // whole (up to MaxCaptured bytes) and handed to OnMessage instead of being matched to the ring.
    public MessageSink? OnMessage;
    private const int MaxCaptured = 4096;
    private readonly byte[] _msg = new byte[MaxCaptured];

    // only used by modes that send from more than one task (rate, idle)
    private readonly SemaphoreSlim? _sendGate;

    public WsConn(Socket socket, int bufferSize, int ringCapacity, bool gatedSends)
    {
        Socket = socket;
        Buf = new byte[bufferSize];
        int cap = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, ringCapacity));
        _ring = new long[cap];
        _ringMask = cap - 1;
        _sendGate = gatedSends ? new SemaphoreSlim(1, 1) : null;
    }

    public long InFlight => Volatile.Read(ref _tail) - Volatile.Read(ref _head);
    public int RingCapacity => _ring.Length;

    /// <summary>Record that <paramref name="count"/> messages are sent now.</summary>
    public void Stamp(int count, long now)
    {
        long t = _tail;
        for (int i = 0; i < count; i++)
        {
            _ring[(t + i) & _ringMask] = now;
        }
        Volatile.Write(ref _tail, t + count);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        if (_sendGate is not null)
        {
            await _sendGate.WaitAsync().ConfigureAwait(false);
        }
        try
        {
            while (!data.IsEmpty)
            {
                if (_tls is not null)
                {
                    await _tls.WriteAsync(data).ConfigureAwait(false);
                    break;
                }
                int n = await Socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
                data = data.Slice(n);
            }
        }
        finally
        {
            _sendGate?.Release();
        }
    }

    public ValueTask SendPongAsync()
    {
        PongPending = false;
        return SendAsync(Frames.Build(0xA, _ctl.AsSpan(0, _ctlLen), 1));
    }

    /// <summary>Sends the close frame (1000) once; returns false if already sent.</summary>
    public async ValueTask<bool> SendCloseAsync()
    {
        if (Interlocked.Exchange(ref CloseSent, 1) != 0)
        {
            return false;
        }
        await SendAsync(Frames.Close).ConfigureAwait(false);
        return true;
    }

    public void Abort(string reason)
    {
        LastError ??= reason;
        Aborted = true;
        Socket.Dispose();
        _tls?.Dispose();
    }

    public ValueTask<int> ReceiveAsync() => _tls is not null ? _tls.ReadAsync(Buf.AsMemory(_end)) : Socket.ReceiveAsync(Buf.AsMemory(_end), SocketFlags.None);

    /// <summary>
    /// Parses the <paramref name="received"/> new bytes incrementally. Returns the number of
    /// complete data messages, recording their latency against <paramref name="now"/> when measuring.
    /// Payloads are skipped, not copied or unmasked (only lengths and types are checked).
    /// </summary>
    public int Parse(int received, long now, bool measure)
    {
        byte[] b = Buf;
        int pos = 0;
        int end = _end + received;
        int completed = 0;
        while (true)
        {
            if (_inFrame)
            {
                int take = (int)Math.Min(_remaining, end - pos);
                if (_opcode >= 8)
                {
                    if (_opcode == 9 && take > 0)
                    {
                        Buffer.BlockCopy(b, pos, _ctl, _ctlLen, take);
                        _ctlLen += take;
                    }
                }
                else
                {
                    if (OnMessage is not null && _msgLen < MaxCaptured)
                    {
                        Buffer.BlockCopy(b, pos, _msg, (int)_msgLen, (int)Math.Min(take, MaxCaptured - _msgLen));
                    }
                    _msgLen += take;
                }
                pos += take;
                _remaining -= take;
                if (_remaining > 0)
                {
                    break;
                }
                _inFrame = false;
                completed += FinishFrame(now, measure);
                continue;
            }

            int avail = end - pos;
            if (avail < 2)
            {
                break;
            }
            byte b0 = b[pos];
            byte b1 = b[pos + 1];
            int len7 = b1 & 0x7F;
            bool masked = (b1 & 0x80) != 0;
            int hdr = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (avail < hdr)
            {
                break;
            }
            long len = len7 switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(pos + 2, 2)),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(pos + 2, 8)),
                _ => len7,
            };
            if ((masked && !AllowMaskedFromPeer) || (b0 & 0x70) != 0 || len < 0)
            {
                ProtocolErrors++;
            }
            _opcode = b0 & 0x0F;
            _fin = (b0 & 0x80) != 0;
            if (_opcode >= 8)
            {
                if (len > 125 || !_fin)
                {
                    ProtocolErrors++;
                    len = Math.Min(len, 125);
                }
                _ctlLen = 0;
            }
            else if (_opcode != 0)
            {
                if (_inMessage)
                {
                    ProtocolErrors++;
                }
                _inMessage = true;
                _msgOpcode = _opcode;
                _msgLen = 0;
            }
            else if (!_inMessage)
            {
                ProtocolErrors++;
            }
            pos += hdr;
            _remaining = len;
            _inFrame = true;
        }

        int left = end - pos;
        if (left > 0 && pos > 0)
        {
            Buffer.BlockCopy(b, pos, b, 0, left);
        }
        _end = left;
        return completed;
    }

    private int FinishFrame(long now, bool measure)
    {
        switch (_opcode)
        {
            case 8:
                CloseReceived = true;
                return 0;
            case 9:
                PongPending = true;
                return 0;
            case 0xA:
                return 0;
        }
        if (!_fin)
        {
            return 0;
        }
        _inMessage = false;
        if (OnMessage is not null)
        {
            OnMessage(this, _msg.AsSpan(0, (int)Math.Min(_msgLen, MaxCaptured)), now);
            return 1;
        }
        if (_msgOpcode != ExpectedOpcode || (ExpectedSize >= 0 && _msgLen != ExpectedSize))
        {
            BadEchoes++;
        }
        long h = _head;
        if (h == Volatile.Read(ref _tail))
        {
            BadEchoes++; // an echo for nothing we sent
            return 0;
        }
        long stamp = _ring[h & _ringMask];
        Volatile.Write(ref _head, h + 1);
        Received++;
        if (measure)
        {
            Hist?.Record(now - stamp);
            Msgs++;
            Bytes += _msgLen;
        }
        return 1;
    }

    // ---------------------------------------------------------------- handshake

    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>RFC 6455 client handshake. Leftover bytes after the response head stay in Buf.</summary>
    public async Task HandshakeAsync(string hostHeader, string path, CancellationToken ct)
    {
        Span<byte> rnd = stackalloc byte[16];
        RandomNumberGenerator.Fill(rnd);
        string key = Convert.ToBase64String(rnd);
        string request =
            $"GET {path} HTTP/1.1\r\nHost: {hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        byte[] req = Encoding.ASCII.GetBytes(request);
        if (_tls is not null)
        {
            await _tls.WriteAsync(req, ct).ConfigureAwait(false);
        }
        else
        {
            await Socket.SendAsync(req, SocketFlags.None, ct).ConfigureAwait(false);
        }

        int filled = 0;
        int headEnd;
        while (true)
        {
            if (filled == Buf.Length)
            {
                throw new HandshakeException("response head too large");
            }
            int n = _tls is not null
                ? await _tls.ReadAsync(Buf.AsMemory(filled), ct).ConfigureAwait(false)
                : await Socket.ReceiveAsync(Buf.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new HandshakeException("server closed during handshake");
            }
            filled += n;
            headEnd = Buf.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                break;
            }
        }

        string head = Encoding.Latin1.GetString(Buf, 0, headEnd);
        string[] lines = head.Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || status[1] != "101")
        {
            throw new HandshakeException($"handshake rejected: {lines[0]}");
        }
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
        string? accept = null;
        bool upgrade = false;
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value.Equals("websocket", StringComparison.OrdinalIgnoreCase);
            }
        }
        if (accept != expected)
        {
            throw new HandshakeException($"bad Sec-WebSocket-Accept: '{accept}' (expected '{expected}')");
        }
        if (!upgrade)
        {
            throw new HandshakeException("missing 'Upgrade: websocket'");
        }

        int rest = filled - (headEnd + 4);
        if (rest > 0)
        {
            Buffer.BlockCopy(Buf, headEnd + 4, Buf, 0, rest);
        }
        _end = 0;
        if (rest > 0)
        {
            // frames sent right after the 101 (none expected): parse them as received data
            _end = 0;
            Parse(rest, System.Diagnostics.Stopwatch.GetTimestamp(), false);
        }
    }

    /// <summary>Connects (and, unless raw, does the handshake) within <paramref name="timeout"/>.</summary>
    public static async Task<WsConn> OpenAsync(Target target, int bufferSize, int ringCapacity, bool gatedSends, TimeSpan timeout,
        MessageSink? onMessage = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // SslStream takes one write at a time: a pong from the receive loop must wait for the sender's write.
        var conn = new WsConn(socket, bufferSize, ringCapacity, gatedSends || target.Tls) { AllowMaskedFromPeer = target.Raw, OnMessage = onMessage };
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(target.EndPoint, cts.Token).ConfigureAwait(false);
            if (target.Tls)
            {
                conn._tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                await conn._tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = target.TlsHost,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, cts.Token).ConfigureAwait(false);
            }
            if (!target.Raw)
            {
                await conn.HandshakeAsync(target.HostHeader, target.Path, cts.Token).ConfigureAwait(false);
            }
            return conn;
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new TimeoutException($"connect/handshake timed out after {timeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Receives one whole data message (its first bytes, up to a cap) and the time it was read.</summary>
public delegate void MessageSink(WsConn connection, ReadOnlySpan<byte> payload, long now);

public sealed class HandshakeException(string message) : Exception(message);

public sealed record Target(IPEndPoint EndPoint, string HostHeader, string Path, bool Raw)
{
    /// <summary>wss://: TLS first (any certificate accepted), then the same bytes inside it.</summary>
    public bool Tls { get; init; }
    public string TlsHost { get; init; } = "localhost";
}

/// <summary>Pre-built masked client frames.</summary>
public static class Frames
{
    // A fixed mask key: servers must unmask whatever the key is; a constant key lets every
    // connection share one pre-built buffer of frames.
    private static readonly byte[] Mask = [0x37, 0xFA, 0x21, 0x3D];

    public static readonly byte[] Close = Build(0x8, [0x03, 0xE8], 1);

    /// <summary><paramref name="copies"/> identical masked frames, back to back.</summary>
    public static byte[] Build(int opcode, ReadOnlySpan<byte> payload, int copies)
    {
        int len = payload.Length;
        int hdr = 2 + (len < 126 ? 0 : len <= ushort.MaxValue ? 2 : 8) + 4;
        byte[] one = new byte[hdr + len];
        one[0] = (byte)(0x80 | opcode);
        int p = 2;
        if (len < 126)
        {
            one[1] = (byte)(0x80 | len);
        }
        else if (len <= ushort.MaxValue)
        {
            one[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(one.AsSpan(2), (ushort)len);
            p = 4;
        }
        else
        {
            one[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(one.AsSpan(2), (ulong)len);
            p = 10;
        }
        Mask.CopyTo(one, p);
        p += 4;
        for (int i = 0; i < len; i++)
        {
            one[p + i] = (byte)(payload[i] ^ Mask[i & 3]);
        }
        if (copies == 1)
        {
            return one;
        }
        byte[] all = new byte[one.Length * copies];
        for (int c = 0; c < copies; c++)
        {
            one.CopyTo(all, c * one.Length);
        }
        return all;
    }
}
