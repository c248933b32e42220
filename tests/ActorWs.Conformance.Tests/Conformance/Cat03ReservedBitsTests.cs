using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 3, reserved bits (§5.2): with no extension negotiated a frame with any
/// RSV bit set fails the connection with 1002, and nothing of that frame — nor of what follows it —
/// is delivered or answered. A valid message in the same write, before the bad frame, is delivered
/// and its echo goes out before the close frame (what Autobahn grades strict rather than non-strict).</summary>
public sealed class Cat03ReservedBitsTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task ReservedBits(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        (string Name, byte Rsv, Opcode Opcode, int Chop)[] cases =
        [
            ("3.1 text with RSV1", 0b100, Opcode.Text, 0),
            ("3.2 text with RSV2", 0b010, Opcode.Text, 0),
            ("3.3 text with RSV1+RSV2 in TCP chunks of 1 byte", 0b110, Opcode.Text, 1),
            ("3.4 text with RSV3", 0b001, Opcode.Text, 0),
            ("3.5 binary with RSV1+RSV3", 0b101, Opcode.Binary, 0),
            ("3.6 ping with RSV2+RSV3", 0b011, Opcode.Ping, 0),
            ("3.7 close with all three RSV bits", 0b111, Opcode.Close, 0),
        ];
        foreach (var (name, rsv, opcode, chop) in cases)
            set.Add(name, async p =>
            {
                var payload = opcode == Opcode.Close ? Wire.ClosePayload(CloseCodes.NormalClosure) : Wire.Utf8("reserved bits");
                // A good message, the bad frame and a ping in one write, as Autobahn sends them: the
                // message is echoed before the close frame, the ping is never answered.
                await p.SendAsync(Wire.Concat(p.Text("before the bad frame"), p.Frame(opcode, payload, rsv: rsv), p.Frame(Opcode.Ping, Wire.Utf8("after"))), chop);
                await p.ExpectTextAsync("before the bad frame");
                await p.ExpectFailAsync(CloseCodes.ProtocolError);
            });
        set.Add("3.8 continuation frame with RSV1 inside a fragmented text", async p =>
        {
            await p.SendAsync(p.Text("first half, ", fin: false), p.Frame(Opcode.Continuation, Wire.Utf8("second half"), rsv: 0b100));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        return set;
    }
}
