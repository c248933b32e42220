using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Testing;

/// <summary>A frame as it came off the wire (§5.2), read by <see cref="FrameReader"/>: the header's
/// bits, and the payload already unmasked. <paramref name="MaskKey"/> is the key's four octets, most
/// significant first (0 for an unmasked frame).</summary>
public sealed record WireFrame(bool Fin, byte Rsv, Opcode Opcode, bool Masked, byte[] Payload, uint MaskKey = 0)
{
    /// <summary>The payload as UTF-8 (a text frame's, or a close frame's whole body).</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>A close frame's status code (§5.5.1), or null when its body is empty: "no status
    /// code" is not a code on the wire (1005 is what an endpoint reports for it, §7.1.5).</summary>
    public ushort? CloseCode => Payload.Length >= 2 ? (ushort)(Payload[0] << 8 | Payload[1]) : null;

    /// <summary>A close frame's reason: the UTF-8 after the code, "" when there is none.</summary>
    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";

    public override string ToString() => Opcode switch
    {
        Opcode.Close => $"CLOSE {CloseCode?.ToString() ?? "(no code)"} '{CloseReason}'",
        _ => $"{NameOf(Opcode)} fin={(Fin ? 1 : 0)}{(Rsv != 0 ? $" rsv={Rsv}" : "")}{(Masked ? " masked" : "")} len={Payload.Length}",
    };

    /// <summary>§5.2's opcodes by name; a reserved one by its number.</summary>
    public static string NameOf(Opcode opcode) => (int)opcode switch
    {
        0x0 => "CONTINUATION",
        0x1 => "TEXT",
        0x2 => "BINARY",
        0x8 => "CLOSE",
        0x9 => "PING",
        0xA => "PONG",
        var n => $"0x{n:X}",
    };
}
