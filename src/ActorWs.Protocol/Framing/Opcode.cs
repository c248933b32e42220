namespace ActorWs.Protocol;

/// <summary>Frame opcodes, RFC 6455 §5.2 and §11.8. 0x3–0x7 and 0xB–0xF are reserved.</summary>
public enum Opcode : byte
{
    /// <summary>0x0: a later fragment of a message (§5.4).</summary>
    Continuation = 0x0,
    /// <summary>0x1: a text message, UTF-8 (§5.6).</summary>
    Text = 0x1,
    /// <summary>0x2: a binary message (§5.6).</summary>
    Binary = 0x2,
    /// <summary>0x8: a close frame (§5.5.1).</summary>
    Close = 0x8,
    /// <summary>0x9: a ping, answered with a pong (§5.5.2).</summary>
    Ping = 0x9,
    /// <summary>0xA: a pong (§5.5.3).</summary>
    Pong = 0xA,
}

/// <summary>What the RFC says about each opcode.</summary>
public static class OpcodeExtensions
{
    /// <summary>Control frames have the high bit of the opcode set (§5.5).</summary>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    /// <summary>Whether the opcode is one RFC 6455 defines (the others are reserved, §5.2).</summary>
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
