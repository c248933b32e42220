using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 6, UTF-8 handling (§5.6, §8.1): valid text (1- to 4-byte sequences,
/// the boundaries of each length) is echoed whole, in one frame or split anywhere — even inside a
/// code point — across fragments or TCP chunks; invalid text (stray continuation bytes, bytes that
/// never occur, overlong forms, surrogates, code points above U+10FFFF, truncated sequences) fails the
/// connection with 1007, and fails as soon as the bytes that make it invalid arrive: a fragmented
/// message before it ends, a frame before its remaining bytes are sent.</summary>
public sealed class Cat06Utf8Tests
{
    private static readonly (string Name, string Hex)[] Valid =
    [
        ("ASCII", "48 65 6C 6C 6F 2D C2 B5 40 C3 9F C3 B6 C3 A4 C3 BC C3 A0 C3 A1 2D 55 54 46 2D 38 21 21"),
        ("κόσμε (Greek)", "CE BA E1 BD B9 CF 83 CE BC CE B5"),
        ("U+0080, first 2-byte", "C2 80"),
        ("U+07FF, last 2-byte", "DF BF"),
        ("U+0800, first 3-byte", "E0 A0 80"),
        ("U+D7FF, last before the surrogates", "ED 9F BF"),
        ("U+E000, first after the surrogates", "EE 80 80"),
        ("U+FFFD, replacement character", "EF BF BD"),
        ("U+FFFE and U+FFFF, noncharacters but valid UTF-8", "EF BF BE EF BF BF"),
        ("U+10000, first 4-byte", "F0 90 80 80"),
        ("U+1F600, emoji", "F0 9F 98 80"),
        ("U+10FFFF, the last code point", "F4 8F BF BF"),
    ];

    private static readonly (string Name, string Hex)[] Invalid =
    [
        ("lone continuation byte 0x80", "80"),
        ("lone continuation byte 0xBF", "BF"),
        ("four continuation bytes", "80 BF 80 BF"),
        ("byte 0xFE", "FE"),
        ("byte 0xFF", "FF"),
        ("bytes FE FE FF FF", "FE FE FF FF"),
        ("2-byte lead without continuation before ASCII", "C2 41"),
        ("overlong '/' in 2 bytes (C0 AF)", "C0 AF"),
        ("overlong U+007F in 2 bytes (C1 BF)", "C1 BF"),
        ("overlong '/' in 3 bytes", "E0 80 AF"),
        ("overlong U+07FF in 3 bytes", "E0 9F BF"),
        ("overlong '/' in 4 bytes", "F0 80 80 AF"),
        ("overlong U+FFFF in 4 bytes", "F0 8F BF BF"),
        ("overlong '/' in 5 bytes", "F8 80 80 80 AF"),
        ("overlong '/' in 6 bytes", "FC 80 80 80 80 AF"),
        ("surrogate U+D800", "ED A0 80"),
        ("surrogate U+DB7F", "ED AD BF"),
        ("surrogate U+DC00", "ED B0 80"),
        ("surrogate U+DFFF", "ED BF BF"),
        ("surrogate pair U+D800 U+DC00 (CESU-8)", "ED A0 80 ED B0 80"),
        ("U+110000, above the last code point", "F4 90 80 80"),
        ("lead byte F5", "F5 80 80 80"),
        ("lead byte F7, U+1FFFFF", "F7 BF BF BF"),
        ("5-byte sequence", "F8 88 80 80 80"),
        ("truncated 2-byte sequence at the end", "41 C2"),
        ("truncated 3-byte sequence at the end", "41 E0 A0"),
        ("truncated 4-byte sequence at the end", "41 F0 90 80"),
        ("κόσμε + surrogate + 'edited'", "CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64"),
    ];

    /// <summary>Autobahn 6.4's text: "κόσμε", then U+110000 in the UTF-8 scheme (F4 90 80 80: above
    /// the last code point, invalid from its second octet), then "edited".</summary>
    private static readonly byte[] Autobahn64Valid = Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5");
    private static readonly byte[] Autobahn64Rest = Wire.Hex("65 64 69 74 65 64");
    private static readonly byte[] Autobahn64Payload = [.. Autobahn64Valid, .. Wire.Hex("F4 90 80 80"), .. Autobahn64Rest];

    // After the tables above: static fields initialise in textual order.
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Utf8(string @case, Role role) => Set.RunAsync(@case, role);

    private static byte[][] OneByteFragments(CasePeer p, byte[] bytes) =>
        bytes.Select((b, i) => p.Frame(i == 0 ? Opcode.Text : Opcode.Continuation, [b], fin: i == bytes.Length - 1)).ToArray();

    private static CaseSet Build()
    {
        var set = new CaseSet();
        for (int i = 0; i < Valid.Length; i++)
        {
            var (name, hex) = Valid[i];
            var bytes = Wire.Hex(hex);
            set.Add($"6.1.{i + 1} valid {name}, one frame", async p =>
            {
                await p.EchoAsync(Opcode.Text, bytes);
                await p.CloseAsync();
            });
            set.Add($"6.2.{i + 1} valid {name}, 1-byte fragments", async p =>
            {
                await p.SendAsync(OneByteFragments(p, bytes));
                await p.ExpectAsync(Opcode.Text, bytes);
                await p.CloseAsync();
            });
            set.Add($"6.3.{i + 1} valid {name}, 1-byte TCP chunks", async p =>
            {
                await p.EchoAsync(Opcode.Text, bytes, chop: 1);
                await p.CloseAsync();
            });
        }
        set.Add("6.1.0 valid empty text", async p =>
        {
            await p.EchoAsync(Opcode.Text, []);
            await p.CloseAsync();
        });

        for (int i = 0; i < Invalid.Length; i++)
        {
            var (name, hex) = Invalid[i];
            var bytes = Wire.Hex(hex);
            set.Add($"6.5.{i + 1} invalid: {name}, one frame", async p =>
            {
                await p.SendFrameAsync(Opcode.Text, bytes);
                await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
            });
            set.Add($"6.6.{i + 1} invalid: {name}, 1-byte fragments", async p =>
            {
                await p.SendAsync(OneByteFragments(p, bytes));
                await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
            });
        }

        // Fail fast (§8.1): the message is never finished, so a close that comes at all was decided
        // on the fragment, not on the whole message.
        set.Add("6.4.1 invalid bytes in the first, non-final fragment: 1007 before the message ends", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Text, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64"), fin: false));
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        set.Add("6.4.2 invalid bytes in a later non-final fragment: 1007 before the message ends", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Text, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5"), fin: false),
                p.Frame(Opcode.Continuation, Wire.Hex("F4 90 80 80"), fin: false));
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        // Fail fast inside a frame (§8.1, Autobahn 6.4.3 and 6.4.4): the peer writes a frame only up
        // to bytes that make its text invalid and keeps the rest; the 1007 close must come while the
        // frame is still incomplete, because the rest is never sent.
        set.Add("6.4.3 a frame written up to a whole invalid code point: 1007 before the rest of the frame is sent", async p =>
        {
            await SendFrameStartAsync(p, p.Frame(Opcode.Text, Autobahn64Payload), Autobahn64Rest.Length);
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        set.Add("6.4.4 a frame written up to the octet that makes its code point invalid: 1007 before the rest of the frame is sent", async p =>
        {
            await SendFrameStartAsync(p, p.Frame(Opcode.Text, Autobahn64Payload), 2 + Autobahn64Rest.Length);
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        set.Add("6.4.5 a continuation frame written up to the octet that makes the code point its fragment began invalid: 1007 before the rest is sent", async p =>
        {
            var text = Autobahn64Payload;
            int cut = Autobahn64Valid.Length + 1; // the first fragment ends with the lead byte F4
            await p.SendAsync(p.Frame(Opcode.Text, text.AsSpan(0, cut), fin: false));
            await SendFrameStartAsync(p, p.Frame(Opcode.Continuation, text.AsSpan(cut), fin: true), text.Length - cut - 1);
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        set.Add("6.4.6 a code point cut by the fragment boundary, made invalid by the next fragment's first byte", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Text, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5 F4"), fin: false),
                p.Frame(Opcode.Continuation, Wire.Hex("90 80 80 65 64 69 74 65 64"), fin: false));
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });
        set.Add("6.4.7 a valid first fragment ending mid code point is accepted, the rest completes it", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Text, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5 F0 9F"), fin: false));
            await p.SendAsync(p.Frame(Opcode.Continuation, Wire.Hex("98 80 21"), fin: true));
            await p.ExpectAsync(Opcode.Text, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5 F0 9F 98 80 21"));
            await p.CloseAsync();
        });
        return set;
    }

    /// <summary>Writes <paramref name="frame"/> without its last <paramref name="withheld"/> bytes,
    /// which are never sent: the ActorWs side has only the start of the frame to decide on.</summary>
    private static Task SendFrameStartAsync(CasePeer p, byte[] frame, int withheld) => p.SendAsync(frame[..^withheld]);
}
