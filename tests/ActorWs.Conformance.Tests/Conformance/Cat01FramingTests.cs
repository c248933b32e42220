using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 1, framing: text and binary messages of every length-encoding boundary
/// (§5.2: 7-bit up to 125, 16-bit up to 65535, 64-bit beyond), written to TCP whole or in small
/// chunks; plus the header rules of §5.1/§5.2 (masking by role, minimal length encoding).</summary>
public sealed class Cat01FramingTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Framing(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        int[] lengths = [0, 125, 126, 127, 128, 65535, 65536];
        for (int i = 0; i < lengths.Length; i++)
        {
            int length = lengths[i];
            set.Add($"1.1.{i + 1} text, {length} bytes", async p =>
            {
                await p.EchoAsync(Opcode.Text, Wire.Utf8(Wire.Text(length)));
                await p.CloseAsync();
            });
            set.Add($"1.2.{i + 1} binary, {length} bytes", async p =>
            {
                await p.EchoAsync(Opcode.Binary, Wire.RandomBytes(length, length));
                await p.CloseAsync();
            });
        }

        (int Length, int Chop)[] chopped = [(1000, 1), (1000, 7), (1000, 64), (1000, 997), (65536, 997), (65536, 4096)];
        for (int i = 0; i < chopped.Length; i++)
        {
            var (length, chop) = chopped[i];
            set.Add($"1.1.{8 + i} text, {length} bytes in TCP chunks of {chop}", async p =>
            {
                await p.EchoAsync(Opcode.Text, Wire.Utf8(Wire.Text(length)), chop);
                await p.CloseAsync();
            });
            set.Add($"1.2.{8 + i} binary, {length} bytes in TCP chunks of {chop}", async p =>
            {
                await p.EchoAsync(Opcode.Binary, Wire.RandomBytes(length, chop), chop);
                await p.CloseAsync();
            });
        }

        // §5.1: a server must fail on an unmasked frame, a client on a masked one.
        set.Add("1.3.1 mask bit wrong for the role (unmasked to a server, masked to a client)", async p =>
        {
            await p.SendAsync(Wire.Frame(Opcode.Text, Wire.Utf8("wrong mask bit"), masked: !p.Masks));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("1.3.2 16-bit length for a 5-byte payload (not minimal)", async p =>
        {
            await p.SendAsync(Wire.Frame(Opcode.Binary, Wire.Utf8("hello"), p.Masks, lengthForm: 16));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("1.3.3 64-bit length for a 200-byte payload (not minimal)", async p =>
        {
            await p.SendAsync(Wire.Frame(Opcode.Binary, Wire.RandomBytes(200), p.Masks, lengthForm: 64));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("1.3.4 64-bit length with its most significant bit set", async p =>
        {
            await p.SendAsync(Wire.RawHeader(fin: true, rsv: 0, (int)Opcode.Binary, p.Masks, 0x8000_0000_0000_0010UL, lengthForm: 64));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        return set;
    }
}
