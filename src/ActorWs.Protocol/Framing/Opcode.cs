namespace ActorWs.Protocol;

/// <summary>Frame opcodes, RFC 6455 §5.2 and §11.8. 0x3–0x7 and 0xB–0xF are reserved.</summary>
public enum Opcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

public static class OpcodeExtensions
{
    /// <summary>Control frames have the high bit of the opcode set (§5.5).</summary>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    public static bool IsDefined(this Opcode opcode) => opcode switch
    {
        Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong => true,
        _ => false,
    };

    /// <summary>The spelling used in logs: TEXT, BINARY, CLOSE, ... or 0xN for reserved values.</summary>
    public static string Name(this Opcode opcode) => opcode switch
    {
        Opcode.Continuation => "CONT",
        Opcode.Text => "TEXT",
        Opcode.Binary => "BINARY",
        Opcode.Close => "CLOSE",
        Opcode.Ping => "PING",
        Opcode.Pong => "PONG",
        _ => $"0x{(byte)opcode:X}",
    };
}
