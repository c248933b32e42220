using ActorWs.Conformance.Tests.Support;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>Autobahn category 7, the closing handshake (§5.5.1, §7): a close is answered at once with
/// the same code, after which nothing is sent or delivered; codes valid on the wire are echoed, the
/// invalid ones (§7.4) and a 1-byte body fail with 1002, a reason of 123 bytes fits, an invalid UTF-8
/// reason fails with 1007; a close that ActorWs starts completes with the peer's answer, or is aborted
/// at the close timeout when none comes.</summary>
public sealed class Cat07CloseTests
{
    public static readonly CaseSet Set = Build();
    public static TheoryData<string, Role> Cases => Set.Data();

    [Theory, MemberData(nameof(Cases))]
    public Task Close(string @case, Role role) => Set.RunAsync(@case, role);

    private static CaseSet Build()
    {
        var set = new CaseSet();
        set.Add("7.1.1 echo a message, then close normally", async p =>
        {
            await p.EchoAsync(Opcode.Text, Wire.Utf8("Hello World!"));
            await p.CloseAsync(CloseCodes.NormalClosure, "bye");
        });
        set.Add("7.1.2 a second close frame after the first is ignored", async p =>
        {
            await p.SendAsync(p.Close(CloseCodes.NormalClosure), p.Close(CloseCodes.GoingAway));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("7.1.3 a ping after the close frame is not answered", async p =>
        {
            await p.SendAsync(p.Close(CloseCodes.NormalClosure), p.Frame(Opcode.Ping, Wire.Utf8("after close")));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("7.1.4 a message after the close frame is not delivered", async p =>
        {
            await p.SendAsync(p.Close(CloseCodes.NormalClosure), p.Text("after close"));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("7.1.5 a fragment, the close, then the final fragment: the message is not delivered", async p =>
        {
            await p.SendAsync(p.Text("fragment1", fin: false), p.Close(CloseCodes.NormalClosure), p.Frame(Opcode.Continuation, Wire.Utf8("fragment2")));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("7.1.6 a 256 KiB message, the close and a ping in one write: the message is echoed before the close is answered", async p =>
        {
            var text = Wire.Text(256 * 1024);
            await p.SendAsync(p.Text(text), p.Close(CloseCodes.NormalClosure), p.Frame(Opcode.Ping, Wire.Utf8("after close")));
            await p.ExpectTextAsync(text);
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true);
        });
        set.Add("7.1.7 a message and the close in one write: the echo goes out before the close answer", async p =>
        {
            await p.SendAsync(p.Text("Hello, world!"), p.Close(CloseCodes.NormalClosure, "bye"));
            await p.ExpectTextAsync("Hello, world!");
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true, "bye");
        });
        // Virtual time: no timer can fire, so an answer that comes at all came without waiting on one.
        set.Add("7.2.1 the close is answered at once, without waiting on any timer", new CaseOptions(VirtualTime: true), async p =>
        {
            await p.SendAsync(p.Close(CloseCodes.NormalClosure, "quick"));
            await p.ExpectCloseEchoAsync(CloseCodes.NormalClosure);
            await p.ExpectClosedEventAsync(CloseCodes.NormalClosure, wasClean: true, "quick");
        });
        set.Add("7.3.1 close without a body: answered without a code, reported as 1005", async p =>
            await p.CloseAsync(code: null));
        set.Add("7.3.2 close with a 1-byte body", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Close, [0x03]));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("7.3.3 close with a code and no reason", async p => await p.CloseAsync(CloseCodes.NormalClosure));
        set.Add("7.3.4 close with a code and a reason", async p => await p.CloseAsync(CloseCodes.NormalClosure, "Hello World!"));
        set.Add("7.3.5 close with a 123-byte reason (the maximum)", async p => await p.CloseAsync(CloseCodes.NormalClosure, new string('*', 123)));
        set.Add("7.3.6 close with a 124-byte reason (a 126-byte control frame)", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.NormalClosure, Wire.Utf8(new string('*', 124)))));
            await p.ExpectFailAsync(CloseCodes.ProtocolError);
        });
        set.Add("7.3.7 close with a multi-byte UTF-8 reason", async p => await p.CloseAsync(CloseCodes.NormalClosure, "до свидания 😀"));
        set.Add("7.5.1 close with an invalid UTF-8 reason", async p =>
        {
            await p.SendAsync(p.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.NormalClosure, Wire.Hex("CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64"))));
            await p.ExpectFailAsync(CloseCodes.InvalidPayloadData);
        });

        ushort[] valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
        for (int i = 0; i < valid.Length; i++)
        {
            ushort code = valid[i];
            set.Add($"7.7.{i + 1} valid close code {code} is echoed", async p => await p.CloseAsync(code, $"code {code}"));
        }
        ushort[] invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
        for (int i = 0; i < invalid.Length; i++)
        {
            ushort code = invalid[i];
            set.Add($"7.9.{i + 1} invalid close code {code} on the wire", async p =>
            {
                await p.SendAsync(p.Frame(Opcode.Close, Wire.ClosePayload(code)));
                await p.ExpectFailAsync(CloseCodes.ProtocolError);
            });
        }

        set.Add("7.13.1 ActorWs closes (Close(4001, reason)); the peer answers; both codes agree", async p =>
        {
            await p.SendCommandAsync("close:4001:closing from ActorWs");
            var close = await p.ReadFrameAsync();
            Assert.True(close is { Opcode: Opcode.Close, CloseCode: 4001 }, $"expected ActorWs's close 4001, got {close}");
            Assert.Equal("closing from ActorWs", System.Text.Encoding.UTF8.GetString(close!.Payload.AsSpan(2)));
            await p.SendAsync(p.Frame(Opcode.Close, close.Payload));
            await p.ExpectTcpClosedAsync();
            await p.ExpectClosedEventAsync(4001, wasClean: true, "closing from ActorWs");
        });
        set.Add("7.13.2 ActorWs closes and the peer never answers: TCP is dropped at the close timeout", new CaseOptions(VirtualTime: true), async p =>
        {
            var closeTimeout = TestSystem.Settings.CloseTimeout;
            await p.SendCommandAsync("close:4002:no answer expected");
            var close = await p.ReadFrameAsync();
            Assert.True(close is { Opcode: Opcode.Close, CloseCode: 4002 }, $"expected ActorWs's close 4002, got {close}");
            // The close timer starts before the close frame is written, so it is running now.
            p.Scheduler.Advance(closeTimeout - TimeSpan.FromMilliseconds(1));
            await Assert.ThrowsAsync<TimeoutException>(() => p.ReadFrameAsync(TimeSpan.FromMilliseconds(300)));
            p.Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            var after = await p.ReadFrameAsync();
            Assert.True(after is null, $"expected TCP to be dropped, got {after}");
            await p.ExpectClosedEventAsync(CloseCodes.AbnormalClosure, wasClean: false);
        });
        return set;
    }
}
