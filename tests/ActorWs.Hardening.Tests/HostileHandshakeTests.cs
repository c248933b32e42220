using System.Text;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Hostile or broken opening handshakes against a running server (README "Limits and what they
/// protect against"): each gets its HTTP status and its socket closed, no connection opens and no
/// actor is left behind, while a well-behaved client on the same server keeps echoing. The
/// handshake timeout runs in virtual time: it runs out when a case advances it, never because the
/// machine is slow.
/// </summary>
public sealed class HostileHandshakeTests(ITestOutputHelper output) : HardeningKit(output, virtualTime: true)
{
    private const string GoodOrigin = "http://good.example";
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private static readonly WebSocketSettings Limits = TestSettings.Create($$"""
        actorws {
          path = "/ws"
          allowed-origins = ["{{GoodOrigin}}"]
          handshake { timeout = {{HandshakeTimeout.TotalSeconds}}s, max-head-size = 1 KiB }
        }
        """);

    /// <summary>A valid request for this server's path and origin, with a fresh key, but for what the case changes.</summary>
    private static string Request(string path = "/ws", bool withKey = true, string? version = "13", string? origin = GoodOrigin, string extra = "") =>
        Wire.UpgradeRequest(path, withKey ? Wire.NewKey() : null, version, origin, extraHeaders: extra);

    /// <summary>A TLS 1.2/1.3 ClientHello record, as a browser sends to an https:// or wss:// port.</summary>
    private static byte[] TlsClientHello()
    {
        var random = new byte[32];
        new Random(7).NextBytes(random);
        var body = new List<byte> { 0x03, 0x03 };                 // client_version TLS 1.2
        body.AddRange(random);
        body.Add(0);                                              // session id
        body.AddRange(new byte[] { 0x00, 0x04, 0x13, 0x01, 0xC0, 0x2F }); // cipher suites
        body.AddRange(new byte[] { 0x01, 0x00 });                 // compression: null
        var sni = Encoding.ASCII.GetBytes("127.0.0.1");
        var ext = new List<byte> { 0x00, 0x00, 0x00, (byte)(sni.Length + 5), 0x00, (byte)(sni.Length + 3), 0x00, 0x00, (byte)sni.Length };
        ext.AddRange(sni);
        body.AddRange(new byte[] { 0x00, (byte)ext.Count });
        body.AddRange(ext);
        var handshake = new List<byte> { 0x01, 0x00, (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        var record = new List<byte> { 0x16, 0x03, 0x01, (byte)(handshake.Count >> 8), (byte)handshake.Count };
        record.AddRange(handshake);
        return record.ToArray();
    }

    private static byte[] Garbage()
    {
        var bytes = new byte[600];
        new Random(11).NextBytes(bytes);
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] is (byte)'\r' or (byte)'\n')
                bytes[i] = 0;
        // An end of head, so that the server has something to judge at once.
        return [.. bytes, .. "\r\n\r\n"u8.ToArray()];
    }

    public static TheoryData<string> Cases => new()
    {
        "head over the size limit",
        "head one byte at a time, slower than the handshake timeout",
        "garbage bytes",
        "TLS ClientHello on the plain port",
        "missing key",
        "duplicated key",
        "wrong version",
        "wrong path",
        "disallowed origin",
    };

    [Theory, MemberData(nameof(Cases))]
    public async Task Bad_handshake_gets_its_status_and_is_closed_while_another_client_keeps_echoing(string @case)
    {
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(Limits, monitor.Ref);
        var bystander = await Bystander.StartAsync(server.Uri, server.Endpoint, GoodOrigin);
        await monitor.ExpectMsgAsync<Opened>(RawPeer.DefaultTimeout);
        await bystander.AwaitEchoesBeyondAsync(0, RawPeer.DefaultTimeout);

        using var attacker = await RawPeer.ConnectAsync(server.Endpoint);
        // Its handshake timeout runs from when the handshake actor starts.
        await AwaitHandshakeActorAsync(server);
        var (status, header) = await AttackAsync(@case, attacker);
        var head = await attacker.ReadHeadAsync(RawPeer.DefaultTimeout)
            ?? throw new Xunit.Sdk.XunitException($"{@case}: TCP closed without an HTTP response");
        Out.WriteLine($"{@case}: {head.Split("\r\n")[0]}");

        Assert.Contains(status, s => head.StartsWith($"HTTP/1.1 {s} ", StringComparison.Ordinal));
        if (header is not null)
            Assert.Contains(header, head.Split("\r\n"));
        // Then the server closes TCP: nothing is kept open for a refused peer.
        await attacker.DrainUntilClosedAsync(RawPeer.DefaultTimeout);

        // The bystander was served during the attack and after it; only its connection is alive.
        int before = bystander.Echoes;
        await bystander.AwaitEchoesBeyondAsync(before, RawPeer.DefaultTimeout);
        await AwaitConnectionCountAsync(server, 1, RawPeer.DefaultTimeout);
        // No Opened for the attacker: its connection has stopped, and a handler it had opened
        // would have passed Opened on before that.
        Assert.False(monitor.HasMessages);
        Out.WriteLine($"bystander echoed {await bystander.CloseAsync()} messages");
        Assert.Equal(CloseCodes.NormalClosure, (await monitor.ExpectMsgAsync<Closed>(RawPeer.DefaultTimeout)).Code);
        await AwaitNoConnectionsAsync(server, RawPeer.DefaultTimeout);
    }

    /// <summary>Sends the case's bytes; returns the statuses accepted and a header line the
    /// response must carry.</summary>
    private async Task<(int[] Status, string? Header)> AttackAsync(string @case, RawPeer attacker)
    {
        switch (@case)
        {
            case "head over the size limit":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(extra: $"X-Padding: {new string('a', 2000)}\r\n")));
                return ([431], null);
            case "head one byte at a time, slower than the handshake timeout":
            {
                // Bytes keep coming, but the whole head takes longer than the timeout: a byte
                // does not buy more time (slowloris).
                var request = Encoding.ASCII.GetBytes(Request());
                const int drips = 10;
                for (int i = 0; i < drips; i++)
                {
                    await attacker.SendAsync(request.AsMemory(i, 1));
                    Scheduler.Advance(HandshakeTimeout / drips);
                }
                return ([408], null);
            }
            case "garbage bytes":
                await attacker.SendAsync(Garbage());
                return ([400], null);
            case "TLS ClientHello on the plain port":
                // Refused from its first byte (0x16 cannot begin an HTTP method): virtual time stands
                // still here, so the handshake timeout cannot be what answers.
                await attacker.SendAsync(TlsClientHello());
                return ([400], null);
            case "missing key":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(withKey: false)));
                return ([400], null);
            case "duplicated key":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(extra: $"Sec-WebSocket-Key: {Wire.NewKey()}\r\n")));
                return ([400], null);
            case "wrong version":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(version: "8")));
                return ([426], "Sec-WebSocket-Version: 13");
            case "wrong path":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(path: "/other")));
                return ([404], null);
            case "disallowed origin":
                await attacker.SendAsync(Encoding.ASCII.GetBytes(Request(origin: "http://evil.example")));
                return ([403], null);
            default:
                throw new ArgumentException(@case);
        }
    }

    /// <summary>Waits until the server has started the attacker's handshake actor (the only one: the
    /// bystander's stopped when it opened), polling because nothing signals it.</summary>
    private async Task AwaitHandshakeActorAsync(WebSocketServer server)
    {
        var deadline = DateTime.UtcNow + RawPeer.DefaultTimeout;
        while (true)
        {
            // Children without a handshake child do not answer a wildcard selection: a round
            // with no answer at all means the attacker's connection is not there yet.
            var answer = Sys.ActorSelection(server.Actor.Path / "*" / "handshake").Ask<ActorIdentity>(new Identify(null));
            if (await Task.WhenAny(answer, Task.Delay(100)) == answer && (await answer).Subject is not null)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the server started no handshake for the attacker");
        }
    }
}
