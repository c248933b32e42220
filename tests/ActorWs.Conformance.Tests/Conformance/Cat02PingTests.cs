using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 2, pings and pongs (§5.5.2, §5.5.3): a ping is answered by a pong with
/// the identical payload, at most 125 bytes; unsolicited pongs get no answer; many pings are answered
/// in order. Plus a ping sent by ActorWs (SendPing) whose pong reaches the handler (PongReceived).</summary>
public sealed class Cat02PingTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Pings(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        (string Name, byte[] Payload, int Chop)[] answered =
        [
            ("2.1 ping without payload", [], 0),
            ("2.2 ping with a small text payload", Wire.Utf8("Hello, world!"), 0),
            ("2.3 ping with a small binary payload", Wire.Hex("00 FF FE FD FC FB 00 FF"), 0),
            ("2.4 ping with 125 bytes (the maximum)", Wire.RandomBytes(125, 24), 0),
            ("2.6 ping with 125 bytes in TCP chunks of 1 byte", Wire.RandomBytes(125, 26), 1),
        ];
        foreach (var (name, payload, chop) in answered)
            set.Add(name, async p =>
            {
                await p.SendAsync(p.Frame(Opcode.Ping, payload), chop);
                await p.ExpectPongAsync(payload);
                await p.CloseAsync();
            });

        set.Add("2.5 ping with 126 bytes (over 125)", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Ping, Wire.RandomBytes(126)));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("2.7 unsolicited pong without payload is not answered", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Pong, []), p.Text("after the pong"));
            await p.ExpectTextAsync("after the pong");
            await p.CloseAsync();
        });
        set.Add("2.8 unsolicited pong with payload is not answered", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Pong, Wire.Utf8("unsolicited pong payload")), p.Text("after the pong"));
            await p.ExpectTextAsync("after the pong");
            await p.CloseAsync();
        });
        set.Add("2.9 unsolicited pong, then a ping: only the ping is answered", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Pong, Wire.Utf8("unsolicited")), p.Frame(Opcode.Ping, Wire.Utf8("solicited")));
            await p.ExpectPongAsync(Wire.Utf8("solicited"));
            await p.CloseAsync();
        });
        foreach (var (name, chop) in new[] { ("2.10 ten pings in a row, answered in order", 0), ("2.11 ten pings in a row in TCP chunks of 1 byte, answered in order", 1) })
            set.Add(name, async p =>
            {
                var pings = Enumerable.Range(0, 10).Select(i => Wire.Utf8($"payload-{i}")).ToArray();
                await p.SendAsync(Wire.Concat(pings.Select(x => p.Frame(Opcode.Ping, x)).ToArray()), chop);
                foreach (var payload in pings)
                    await p.ExpectPongAsync(payload);
                await p.CloseAsync();
            });
        set.Add("2.12 ActorWs pings (SendPing): the peer's pong reaches the handler with the same bytes", async p =>
        {
            await p.SendCommandAsync("ping:abc-123");
            var ping = await p.ReadFrameAsync();
            Assert.True(ping is { Opcode: Opcode.Ping } && ping.Payload.AsSpan().SequenceEqual("abc-123"u8), $"expected a ping 'abc-123', got {ping}");
            await p.SendAsync(p.Frame(Opcode.Pong, ping!.Payload));
            // The handler answers the matching PongReceived with a text message.
            await p.ExpectReplyAsync("pong:abc-123");
            var pong = await p.Events.NextAsync<PongReceived>(RawPeer.DefaultTimeout);
            Assert.Equal("abc-123"u8.ToArray(), pong.Payload);
            await p.CloseAsync();
        });
        return set;
    }
}
