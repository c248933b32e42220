using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 4, opcodes (§5.2, §11.8): the reserved data opcodes 0x3–0x7 and control
/// opcodes 0xB–0xF fail the connection with 1002; nothing after them is answered. The valid message
/// sent in the same write before the bad frame is echoed before the close frame.</summary>
public sealed class Cat04OpcodeTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task ReservedOpcodes(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        byte[] opcodes = [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF];
        for (int i = 0; i < opcodes.Length; i++)
        {
            byte op = opcodes[i];
            bool control = op >= 0x8;
            bool withPayload = i % 2 == 1;
            set.Add($"4.{(control ? 2 : 1)}.{(control ? i - 4 : i + 1)} reserved {(control ? "control" : "data")} opcode 0x{op:X}{(withPayload ? " with payload" : "")}", async p =>
            {
                var bad = p.Frame((Opcode)op, withPayload ? Wire.Utf8("reserved opcode payload") : []);
                await p.SendAsync(p.Text("before the bad frame"), bad, p.Frame(Opcode.Ping, Wire.Utf8("after")));
                await p.ExpectTextAsync("before the bad frame");
                await p.ExpectFailAsync(CloseCodes.ProtocolError);
            });
        }
        return set;
    }
}
