using System.Net.Sockets;
using System.Text;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>
/// A deliberately broken client for <c>--scenario violation</c>. ActorWs's own client cannot send
/// a bad frame, so this one speaks the protocol by hand over a socket with the protocol core:
/// first an unmasked frame (a client MUST mask, RFC 6455 §5.1: 1002), then, on a new connection,
/// a text message that is not UTF-8 (§8.1: 1007).
/// </summary>
public static class ViolationClient
{
    public sealed record Case(string Name, byte[] Frame, ushort ExpectedCode);

    public static IReadOnlyList<Case> Cases { get; } =
    [
        new("unmasked text frame (RFC 6455 §5.1)", FrameEncoder.Encode(Opcode.Text, "not masked"u8, masked: false), CloseCodes.ProtocolError),
        new("text with invalid UTF-8 0xC0 0xAF (RFC 6455 §8.1)", FrameEncoder.Encode(Opcode.Text, [0x68, 0x69, 0xC0, 0xAF], masked: true), CloseCodes.InvalidPayloadData),
    ];

    /// <summary>Runs every case; returns the close code the server sent for each.</summary>
    public static async Task<IReadOnlyList<ushort>> RunAsync(Uri url, Action<Direction, TraceCategory, string> log, TimeSpan timeout)
    {
        var codes = new List<ushort>();
        foreach (var c in Cases)
        {
            using var cts = new CancellationTokenSource(timeout);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(url.Host, url.Port, cts.Token);
            log(Direction.Local, TraceCategory.Tcp, $"connected to {socket.RemoteEndPoint}");
            var handshake = ClientHandshake.Create(url);
            await socket.SendAsync(handshake.Request, cts.Token);
            var buffer = new byte[64 * 1024];
            using var head = new HttpHeadReader(8192, HttpHeadKind.Response);
            int count, consumed;
            while (true)
            {
                count = await socket.ReceiveAsync(buffer, cts.Token);
                if (count == 0)
                    throw new IOException("server closed during the handshake");
                var read = head.Feed(buffer.AsSpan(0, count));
                consumed = read.Consumed;
                if (read.Violation is { } refused)
                    throw new IOException(refused.Reason);
                if (read.IsComplete)
                    break;
            }
            if (handshake.Validate(head.Head).Violation is { } error)
                throw new IOException(error.Reason);
            log(Direction.Local, TraceCategory.State, "OPEN");

            log(Direction.Sent, TraceCategory.Frame, $"misbehaving on purpose: {c.Name}");
            await socket.SendAsync(c.Frame, cts.Token);

            using var decoder = new FrameDecoder(Role.Client, 1 << 20);
            var pending = buffer.AsMemory(consumed, count - consumed);
            ushort? code = null;
            while (code is null)
            {
                while (pending.Length > 0 && code is null)
                {
                    var decoded = decoder.Decode(pending.Span);
                    pending = pending[decoded.Consumed..];
                    if (decoded.Violation is { } violation)
                        throw new IOException($"bad frame from the server: {violation}");
                    if (decoded.IsComplete && decoded.Value.Opcode == Opcode.Close)
                    {
                        var parsed = CloseStatus.Parse(decoded.Value.Payload);
                        var closeStatus = parsed.IsComplete ? parsed.Value : CloseStatus.NoStatus;
                        log(Direction.Received, TraceCategory.Frame, $"opcode=CLOSE {closeStatus} ({CloseCodes.Describe(closeStatus.Code)})");
                        code = closeStatus.Code;
                    }
                    if (decoded.Status == ProtocolStatus.NeedMoreData)
                        break;
                }
                if (code is not null)
                    break;
                count = await socket.ReceiveAsync(buffer, cts.Token);
                if (count == 0)
                    throw new IOException("server closed TCP without a close frame");
                pending = buffer.AsMemory(0, count);
            }
            // Complete the closing handshake, then let the server close TCP first (§7.1.1).
            await socket.SendAsync(FrameEncoder.Encode(Opcode.Close, new CloseStatus(code.Value, "").ToPayload(), masked: true), cts.Token);
            while (await socket.ReceiveAsync(buffer, cts.Token) > 0)
            {
            }
            log(Direction.Local, TraceCategory.Tcp, "the server closed TCP");
            var verdict = code == c.ExpectedCode ? "as the RFC requires" : $"EXPECTED {c.ExpectedCode}";
            log(code == c.ExpectedCode ? Direction.Local : Direction.Error, TraceCategory.State, $"CLOSED: server answered {c.Name} with {code} {verdict}");
            codes.Add(code.Value);
        }
        return codes;
    }
}
