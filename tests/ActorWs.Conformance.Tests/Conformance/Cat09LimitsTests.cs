using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 9, limits and performance, with the default limits of
/// config/actorws.hocon (16 MiB messages, 131,072 fragments): single messages of 64 KiB to 16 MiB,
/// 4 MiB in fragments down to 64 bytes (65,536 fragments), 1 MiB written to TCP in chunks of 64 bytes
/// to 4 KiB, and 1,000 round trips of small messages.</summary>
public sealed class Cat09LimitsTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Limits(string @case, Role role) => Set.RunAsync(@case, role);

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : bytes >= 1024 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";

    private static byte[] Payload(Opcode opcode, int length) =>
        opcode == Opcode.Text ? Wire.Utf8(Wire.Text(length)) : Wire.RandomBytes(length, length);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        int[] sizes = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20];
        int[] fragmentSizes = [64, 256, 4096, 64 << 10, 1 << 20];
        int[] chops = [64, 128, 256, 512, 1024, 2048, 4096];
        int[] roundTripSizes = [0, 64, 1024, 16 << 10];
        foreach (var (opcode, major, type) in new[] { (Opcode.Text, 1, "text"), (Opcode.Binary, 2, "binary") })
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                int size = sizes[i];
                set.Add($"9.{major}.{i + 1} {type} message of {Size(size)}", async p =>
                {
                    await p.EchoAsync(opcode, Payload(opcode, size), timeout: Long);
                    await p.CloseAsync();
                });
            }
            for (int i = 0; i < fragmentSizes.Length; i++)
            {
                int fragment = fragmentSizes[i];
                set.Add($"9.{major + 2}.{i + 1} {type} of 4 MiB in {Size(fragment)} fragments ({(4 << 20) / fragment:N0} fragments)", async p =>
                {
                    var payload = Payload(opcode, 4 << 20);
                    int count = payload.Length / fragment;
                    var frames = new byte[count][];
                    for (int f = 0; f < count; f++)
                        frames[f] = p.Frame(f == 0 ? opcode : Opcode.Continuation, payload.AsSpan(f * fragment, fragment), fin: f == count - 1);
                    await p.SendAsync(frames);
                    await p.ExpectAsync(opcode, payload, Long);
                    await p.CloseAsync();
                });
            }
            for (int i = 0; i < chops.Length; i++)
            {
                int chop = chops[i];
                set.Add($"9.{major + 4}.{i + 1} {type} message of 1 MiB in TCP chunks of {chop} bytes", async p =>
                {
                    await p.EchoAsync(opcode, Payload(opcode, 1 << 20), chop, Long);
                    await p.CloseAsync();
                });
            }
            for (int i = 0; i < roundTripSizes.Length; i++)
            {
                int size = roundTripSizes[i];
                set.Add($"9.{major + 6}.{i + 1} 1,000 round trips of {type} messages of {Size(size)}", async p =>
                {
                    var payload = Payload(opcode, size);
                    for (int n = 0; n < 1000; n++)
                        await p.EchoAsync(opcode, payload);
                    await p.CloseAsync();
                });
            }
        }
        return set;
    }
}
