using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Demo;

/// <summary>
/// A deliberately broken client for <c>--scenario violation</c> (and the web page's lessons). ActorWs's
/// own client cannot send a bad frame, so this one is a <see cref="RawPeer"/>: first an unmasked frame
/// (a client MUST mask, RFC 6455 §5.1: 1002), then, on a new connection, a text message that is not
/// UTF-8 (§8.1: 1007).
/// </summary>
public static class ViolationClient
{
    public sealed record Case(string Name, byte[] Frame, ushort ExpectedCode)
    {
        /// <summary>The opcode as the log names it: the frame's low four bits.</summary>
        public string OpcodeName => (Frame[0] & 0x0F) switch { 0x1 => "TEXT", 0x2 => "BINARY", var o => $"0x{o:X}" };
    }

    public static readonly Case Unmasked = new("unmasked text frame (RFC 6455 §5.1)", FrameEncoder.Encode(Opcode.Text, "not masked"u8, masked: false), CloseCodes.ProtocolError);
    public static readonly Case InvalidUtf8 = new("text with invalid UTF-8 0xC0 0xAF (RFC 6455 §8.1)", FrameEncoder.Encode(Opcode.Text, [0x68, 0x69, 0xC0, 0xAF], masked: true), CloseCodes.InvalidPayloadData);
    /// <summary>Opcode 0x3 is reserved for further non-control frames (§5.2): 1002 (§7.4.1).</summary>
    public static readonly Case UnknownOpcode = new("frame with the reserved opcode 0x3 (RFC 6455 §5.2)", UnknownOpcodeFrame(), CloseCodes.ProtocolError);

    public static IReadOnlyList<Case> Cases { get; } = [Unmasked, InvalidUtf8];

    private static byte[] UnknownOpcodeFrame()
    {
        var frame = FrameEncoder.Encode(Opcode.Text, "what is this"u8, masked: true);
        frame[0] = (byte)(frame[0] & 0xF0 | 0x3);
        return frame;
    }

    /// <summary>Runs every case; returns the close code the server sent for each.</summary>
    public static async Task<IReadOnlyList<ushort>> RunAsync(Uri url, Action<Direction, TraceCategory, string> log, TimeSpan timeout)
    {
        var codes = new List<ushort>();
        foreach (var c in Cases)
            codes.Add(await RunCaseAsync(url, c, log, timeout));
        return codes;
    }

    /// <summary>One case on its own connection; the close code the server answered it with.</summary>
    public static async Task<ushort> RunCaseAsync(Uri url, Case c, Action<Direction, TraceCategory, string> log, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var peer = await RawPeer.ConnectAsync(url, log, cts.Token);
        await peer.SendAsync(c.Frame, $"opcode={c.OpcodeName} fin=1 masked={(c.Frame[1] & 0x80) >> 7}: misbehaving on purpose: {c.Name}", cts.Token);
        // Complete the closing handshake, then let the server close TCP first (§7.1.1).
        var code = await peer.FinishCloseAsync(cts.Token);
        var verdict = code == c.ExpectedCode ? "as the RFC requires" : $"EXPECTED {c.ExpectedCode}";
        log(code == c.ExpectedCode ? Direction.Local : Direction.Error, TraceCategory.State, $"CLOSED: server answered {c.Name} with {code} {verdict}");
        return code;
    }

    /// <summary>A text message in two frames, TEXT with FIN=0 and CONTINUATION with FIN=1 (§5.4);
    /// returns the text the server echoed, whole.</summary>
    public static async Task<string> SendFragmentedAsync(Uri url, Action<Direction, TraceCategory, string> log, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var peer = await RawPeer.ConnectAsync(url, log, cts.Token);
        log(Direction.Sent, TraceCategory.App, "hello, fragmented world (one message, sent in two frames)");
        await peer.SendAsync(FrameEncoder.Encode(Opcode.Text, "hello, "u8, fin: false, masked: true),
            "opcode=TEXT fin=0 'hello, ': the first fragment of a message (RFC 6455 §5.4)", cts.Token);
        await peer.SendAsync(FrameEncoder.Encode(Opcode.Continuation, "fragmented world"u8, fin: true, masked: true),
            "opcode=CONT fin=1 'fragmented world': the last fragment (RFC 6455 §5.4)", cts.Token);
        var echo = await peer.ReadFrameAsync(cts.Token) ?? throw new IOException("server closed TCP before the echo");
        var text = System.Text.Encoding.UTF8.GetString(echo.Payload);
        log(Direction.Local, TraceCategory.App, $"the server read one message '{text}' and echoed it in one frame");
        await peer.SendAsync(FrameEncoder.Encode(Opcode.Close, new CloseStatus(CloseCodes.NormalClosure, "done").ToPayload(), masked: true),
            "opcode=CLOSE 1000 'done' (RFC 6455 §7.1.2)", cts.Token);
        while (await peer.ReadFrameAsync(cts.Token) is { Opcode: not Opcode.Close })
        {
        }
        await peer.WaitForFinAsync(cts.Token);
        return text;
    }
}
