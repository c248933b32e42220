using ActorWs.Protocol;

namespace ActorWs.Testing;

/// <summary>
/// Byte streams for fuzzing, shared by the protocol core's fuzz tests and the live-server fuzz test
/// in ActorWs.Hardening.Tests: valid frame sequences, built with <see cref="Wire"/>, and mutations of
/// them as a mutation fuzzer makes them.
/// </summary>
public static class FuzzStreams
{
    /// <summary>A few valid frames: fragments, controls, text (valid UTF-8), binary, any length encoding.</summary>
    public static byte[] Valid(Random random, bool masked)
    {
        var output = new List<byte>();
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            var opcode = random.Next(5) switch { 0 => Opcode.Ping, 1 => Opcode.Pong, 2 => Opcode.Text, _ => Opcode.Binary };
            bool control = opcode is Opcode.Ping or Opcode.Pong;
            int length = control ? random.Next(0, 126) : random.Next(3) switch { 0 => random.Next(0, 126), 1 => random.Next(126, 1000), _ => random.Next(65536, 70000) };
            var payload = opcode == Opcode.Text ? Wire.Utf8(new string('é', length / 2)) : Wire.RandomBytes(random, length);
            if (!control && random.Next(3) == 0 && payload.Length > 2)
            {
                int cut = random.Next(1, payload.Length);
                output.AddRange(Wire.Frame(opcode, payload.AsSpan(0, cut), masked, fin: false));
                output.AddRange(Wire.Frame(Opcode.Continuation, payload.AsSpan(cut), masked, fin: true));
            }
            else
            {
                output.AddRange(Wire.Frame(opcode, payload, masked));
            }
        }
        if (random.Next(4) == 0)
            output.AddRange(Wire.Frame(Opcode.Close, Wire.ClosePayload(1000, "bye"), masked));
        return output.ToArray();
    }

    /// <summary>Flipped bits, truncation, duplication and concatenation, as a mutation fuzzer does.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = input.ToList();
        int mutations = random.Next(0, 4);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            switch (random.Next(4))
            {
                case 0:
                    int i = random.Next(Math.Min(bytes.Count, 32)); // headers live at the front
                    bytes[i] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 2:
                    bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                    break;
                default:
                    bytes.AddRange(bytes.Take(random.Next(bytes.Count)));
                    break;
            }
        }
        return bytes.ToArray();
    }
}
