using System.Net.Sockets;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>
/// A WebSocket client written by hand over a socket with the protocol core, for what ActorWs's own
/// client (and a browser) will not do: send an unmasked frame, invalid UTF-8, an unknown opcode, a
/// message in fragments, or leave pings unanswered. It logs each step through <c>log</c> in the
/// demo's shape, as the CLIENT.
/// </summary>
public sealed class RawPeer : IDisposable
{
    public sealed record ReceivedFrame(Opcode Opcode, bool Fin, byte[] Payload);

    private readonly Socket _socket;
    private readonly Action<Direction, TraceCategory, string> _log;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly FrameDecoder _decoder = new(Role.Client, 1 << 20);
    private ReadOnlyMemory<byte> _pending;

    private RawPeer(Socket socket, Action<Direction, TraceCategory, string> log)
    {
        _socket = socket;
        _log = log;
    }

    /// <summary>Connects and completes the opening handshake (RFC 6455 §4.1).</summary>
    public static async Task<RawPeer> ConnectAsync(Uri url, Action<Direction, TraceCategory, string> log, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var peer = new RawPeer(socket, log);
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, cancel);
            log(Direction.Local, TraceCategory.Tcp, $"connected to {LifecycleEvent.Address(socket.RemoteEndPoint)}");
            var handshake = ClientHandshake.Create(url);
            await socket.SendAsync(handshake.Request, cancel);
            using var head = new HttpHeadReader(8192, HttpHeadKind.Response);
            while (true)
            {
                int count = await socket.ReceiveAsync(peer._buffer, cancel);
                if (count == 0)
                    throw new IOException("server closed during the handshake");
                var read = head.Feed(peer._buffer.AsSpan(0, count));
                if (read.Violation is { } refused)
                    throw new IOException(refused.Reason);
                if (read.IsComplete)
                {
                    peer._pending = peer._buffer.AsMemory(read.Consumed, count - read.Consumed).ToArray();
                    break;
                }
            }
            if (handshake.Validate(head.Head).Violation is { } error)
                throw new IOException(error.Reason);
            log(Direction.Local, TraceCategory.State, "OPEN");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    public async Task SendAsync(byte[] frame, string what, CancellationToken cancel)
    {
        _log(Direction.Sent, TraceCategory.Frame, what);
        await _socket.SendAsync(frame, cancel);
    }

    /// <summary>The next frame from the server; pings are logged and left unanswered (this peer
    /// answers nothing by itself). Null when the server closed TCP.</summary>
    public async Task<ReceivedFrame?> ReadFrameAsync(CancellationToken cancel)
    {
        while (true)
        {
            while (_pending.Length > 0)
            {
                var decoded = _decoder.Decode(_pending.Span);
                _pending = _pending[decoded.Consumed..];
                if (decoded.Violation is { } violation)
                    throw new IOException($"bad frame from the server: {violation}");
                if (decoded.IsComplete)
                {
                    var frame = new ReceivedFrame(decoded.Value.Header.Opcode, decoded.Value.Header.Fin, decoded.Value.Payload.ToArray());
                    _log(Direction.Received, TraceCategory.Frame, frame.Opcode == Opcode.Close
                        ? $"opcode=CLOSE {Status(frame)} ({CloseCodes.Describe(Status(frame).Code)})"
                        : LifecycleEvent.DescribeFrame(decoded.Value.Header, frame.Payload));
                    return frame;
                }
                if (decoded.Status == ProtocolStatus.NeedMoreData)
                    break;
            }
            int count = await _socket.ReceiveAsync(_buffer, cancel);
            if (count == 0)
                return null;
            _pending = _pending.Length == 0 ? _buffer.AsMemory(0, count) : (byte[])[.. _pending.Span, .. _buffer.AsSpan(0, count)];
        }
    }

    public static CloseStatus Status(ReceivedFrame close)
    {
        var parsed = CloseStatus.Parse(close.Payload);
        return parsed.IsComplete ? parsed.Value : CloseStatus.NoStatus;
    }

    /// <summary>Reads until the server's close frame, answers it (§5.5.1) and waits for the server
    /// to close TCP first (§7.1.1). Returns the server's close code.</summary>
    public async Task<ushort> FinishCloseAsync(CancellationToken cancel)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(cancel) ?? throw new IOException("server closed TCP without a close frame");
            if (frame.Opcode != Opcode.Close)
                continue;
            var code = Status(frame).Code;
            await SendAsync(FrameEncoder.Encode(Opcode.Close, new CloseStatus(code, "").ToPayload(), masked: true), $"opcode=CLOSE {code}: echoing the server's code (RFC 6455 §5.5.1)", cancel);
            await WaitForFinAsync(cancel);
            return code;
        }
    }

    public async Task WaitForFinAsync(CancellationToken cancel)
    {
        while (await _socket.ReceiveAsync(_buffer, cancel) > 0)
        {
        }
        _log(Direction.Local, TraceCategory.Tcp, "the server closed TCP");
    }

    public void Dispose()
    {
        _socket.Dispose();
        _decoder.Dispose();
    }
}
