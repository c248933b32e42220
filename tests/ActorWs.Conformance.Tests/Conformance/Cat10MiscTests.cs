using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 10, miscellaneous: a 64 KiB message that the peer fragments into
/// 1,300-byte frames (as an auto-fragmenting peer would) arrives as one message.</summary>
public sealed class Cat10MiscTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Misc(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        foreach (var (opcode, n, type) in new[] { (Opcode.Text, 1, "text"), (Opcode.Binary, 2, "binary") })
            set.Add($"10.1.{n} {type} message of 64 KiB in 1,300-byte frames", async p =>
            {
                var payload = opcode == Opcode.Text ? Wire.Utf8(Wire.Text(64 << 10)) : Wire.RandomBytes(64 << 10, 10);
                var frames = new List<byte[]>();
                for (int offset = 0; offset < payload.Length; offset += 1300)
                {
                    int length = Math.Min(1300, payload.Length - offset);
                    frames.Add(p.Frame(offset == 0 ? opcode : Opcode.Continuation, payload.AsSpan(offset, length), fin: offset + length == payload.Length));
                }
                await p.SendAsync(frames.ToArray());
                await p.ExpectAsync(opcode, payload);
                await p.CloseAsync();
            });
        return set;
    }
}
