using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 5, fragmentation (§5.4): fragments are joined into one message, control
/// frames may come between them (and are answered at once), control frames are never fragmented, a
/// continuation needs a message to continue, and no new message may start inside a fragmented one.</summary>
public sealed class Cat05FragmentationTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Fragmentation(string @case, Role role) => Set.RunAsync(@case, role);

    private static byte[] Cont(CasePeer p, string text, bool fin) => p.Frame(Opcode.Continuation, Wire.Utf8(text), fin);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        set.Add("5.1 ping in 2 fragments", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Ping, Wire.Utf8("frag"), fin: false), Cont(p, "ment", fin: true));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("5.2 pong in 2 fragments", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Pong, Wire.Utf8("frag"), fin: false), Cont(p, "ment", fin: true));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        foreach (var (suffix, chop) in new[] { ("", 0), (" in TCP chunks of 1 byte", 1) })
        {
            set.Add($"5.3 text in 2 fragments{suffix}", async p =>
            {
                await p.SendAsync(Wire.Concat(p.Text("fragment1", fin: false), Cont(p, "fragment2", fin: true)), chop);
                await p.ExpectTextAsync("fragment1fragment2");
                await p.CloseAsync();
            });
            set.Add($"5.6 text in 2 fragments with a ping between{suffix}", async p =>
            {
                await p.SendAsync(Wire.Concat(p.Text("fragment1", fin: false), p.Frame(Opcode.Ping, Wire.Utf8("between")), Cont(p, "fragment2", fin: true)), chop);
                // The ping is answered at once, before the message is complete and echoed.
                await p.ExpectPongAsync(Wire.Utf8("between"));
                await p.ExpectTextAsync("fragment1fragment2");
                await p.CloseAsync();
            });
            set.Add($"5.9 continuation (FIN=1) with nothing to continue{suffix}", async p =>
            {
                await p.SendAsync(Wire.Concat(Cont(p, "non-continuation payload", fin: true), p.Text("Hello, world!")), chop);
                await p.ExpectFailAsync(CloseCodes.ProtocolError);
            });
            set.Add($"5.12 continuation (FIN=0) with nothing to continue{suffix}", async p =>
            {
                await p.SendAsync(Wire.Concat(Cont(p, "non-continuation payload", fin: false), p.Text("Hello, world!")), chop);
                await p.ExpectFailAsync(CloseCodes.ProtocolError);
            });
        }
        set.Add("5.7 text in 2 fragments with an unsolicited pong between", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), p.Frame(Opcode.Pong, Wire.Utf8("unsolicited")), Cont(p, "fragment2", fin: true));
            await p.ExpectTextAsync("fragment1fragment2");
            await p.CloseAsync();
        });
        set.Add("5.8 close between fragments: the close is answered, the unfinished message is dropped", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), p.Close(CloseCodes.NormalClosure), Cont(p, "fragment2", fin: true));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("5.15 continuation after a finished fragmented message, all in one write: the message is echoed before the close", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), Cont(p, "fragment2", fin: true),
                Cont(p, "fragment3", fin: false), Cont(p, "fragment4", fin: true), p.Text("never delivered"));
            await p.ExpectTextAsync("fragment1fragment2");
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("5.18 new text message inside a fragmented text", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), p.Text("fragment2", fin: true));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("5.19 new binary message inside a fragmented text", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), p.Frame(Opcode.Binary, Wire.RandomBytes(10), fin: true));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("5.20 new text message (FIN=0) inside a fragmented binary", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Binary, Wire.RandomBytes(10), fin: false), p.Text("fragment2", fin: false));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("5.21 text in 1-byte fragments, code points split across fragments", async p =>
        {
            var bytes = Wire.Utf8("Hello, мир 日本 😀!");
            var frames = bytes.Select((b, i) => p.Frame(i == 0 ? Opcode.Text : Opcode.Continuation, [b], fin: i == bytes.Length - 1)).ToArray();
            await p.SendAsync(frames);
            await p.ExpectTextAsync("Hello, мир 日本 😀!");
            await p.CloseAsync();
        });
        set.Add("5.22 binary of all 256 byte values in 1-byte fragments", async p =>
        {
            var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            var frames = bytes.Select((b, i) => p.Frame(i == 0 ? Opcode.Binary : Opcode.Continuation, [b], fin: i == bytes.Length - 1)).ToArray();
            await p.SendAsync(frames);
            await p.ExpectBinaryAsync(bytes);
            await p.CloseAsync();
        });
        set.Add("5.23 text in 1,000 fragments", async p =>
        {
            var parts = Enumerable.Range(0, 1000).Select(i => $"part{i:D4}|").ToArray();
            await p.SendAsync(parts.Select((s, i) => i == 0 ? p.Text(s, fin: false) : Cont(p, s, fin: i == parts.Length - 1)).ToArray());
            await p.ExpectTextAsync(string.Concat(parts));
            await p.CloseAsync();
        });
        set.Add("5.24 binary in 1,000 fragments with a ping after every 100th", async p =>
        {
            var data = Wire.RandomBytes(1000 * 37, 524);
            var frames = new List<byte[]>();
            for (int i = 0; i < 1000; i++)
            {
                frames.Add(p.Frame(i == 0 ? Opcode.Binary : Opcode.Continuation, data.AsSpan(i * 37, 37), fin: i == 999));
                if (i % 100 == 50)
                    frames.Add(p.Frame(Opcode.Ping, Wire.Utf8($"ping {i}")));
            }
            await p.SendAsync(frames.ToArray());
            for (int i = 50; i < 1000; i += 100)
                await p.ExpectPongAsync(Wire.Utf8($"ping {i}"));
            await p.ExpectBinaryAsync(data);
            await p.CloseAsync();
        });
        set.Add("5.25 empty fragments around a non-empty one", async p =>
        {
            await p.SendAsync(p.Text("", fin: false), Cont(p, "", fin: false), Cont(p, "middle", fin: false), Cont(p, "", fin: true));
            await p.ExpectTextAsync("middle");
            await p.CloseAsync();
        });
        return set;
    }
}
