using System.Diagnostics;
using System.Net.Sockets;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Random and mutated byte streams into a live server over raw sockets, for ACTORWS_FUZZ_SECONDS
/// (default 10). Each stream's outcome is predicted by running the protocol core over it in one
/// piece (the server reads it in whatever chunks TCP makes): its pongs, its echoes, and how it ends
/// (a violation's close code, the echo of the peer's close, or nothing yet). Every connection must
/// end that way, with an echo, a close frame of the predicted code or TCP closed; Akka logs no
/// error; and a well-behaved client keeps echoing throughout.
/// </summary>
public sealed class LiveFuzzTests(ITestOutputHelper output) : HardeningKit(output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("ACTORWS_FUZZ_SECONDS"), out var s) ? s : 10);

    private const int Workers = 4;

    /// <summary>Streams each worker runs however long they take: the first streams of each seed,
    /// among them violations and clean ends, are fuzzed on any machine; the time budget adds more.</summary>
    private const int MinStreamsPerWorker = 15;

    private enum End { Violation, PeerClose, Open, PartialFrame }

    /// <summary><paramref name="Trailing"/>: bytes of the stream after the point where the server stops reading it.</summary>
    private sealed record Prediction(List<byte[]> Pongs, List<(Opcode Opcode, byte[] Payload)> Echoes, End End, ushort? CloseCode, int Trailing = 0);

    [Fact]
    public async Task Mutated_streams_into_a_live_server_end_as_predicted_with_no_error_logged_while_a_client_keeps_echoing()
    {
        CaptureErrors();
        // Every stream ends by a frame or a TCP event, not a timeout. A short close timeout would
        // abort (RST) a connection whose peer a loaded machine has delayed in answering the
        // server's close, and the reset can destroy the close frame it has not read yet.
        var settings = TestSettings.Create("actorws { handshake.timeout = 60s, close.timeout = 60s }");
        var server = await StartServerAsync(settings);
        var bystander = await Bystander.StartAsync(server.Uri, server.Endpoint);
        await bystander.AwaitEchoesBeyondAsync(0, RawPeer.DefaultTimeout);

        var outcomes = new Dictionary<string, int>();
        var deadline = DateTime.UtcNow + Budget;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            for (int n = 0; n < MinStreamsPerWorker || DateTime.UtcNow < deadline; n++)
            {
                var stream = random.Next(8) == 0 ? Wire.RandomBytes(random, random.Next(1, 300)) : FuzzStreams.Mutate(FuzzStreams.Valid(random, masked: true), random);
                var prediction = Predict(stream, settings);
                string outcome;
                try
                {
                    outcome = await RunOneAsync(server, stream, prediction, random);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"worker {w} stream {n} ({prediction.End} {prediction.CloseCode}, {prediction.Pongs.Count} pongs, " +
                                                       $"{prediction.Echoes.Count} echoes): {e.Message}\nstream: {Convert.ToHexString(stream.AsSpan(0, Math.Min(stream.Length, 200)))}", e);
                }
                lock (outcomes)
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        })));

        int streams = outcomes.Values.Sum();
        Out.WriteLine($"{streams} streams in {watch.Elapsed.TotalSeconds:0.0} s: " + string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
        Out.WriteLine($"the bystander echoed {bystander.Echoes} messages meanwhile");
        Assert.True(streams >= Workers * MinStreamsPerWorker, $"only {streams} streams fuzzed");
        Assert.Contains(outcomes.Keys, k => k.StartsWith("close 1002"));
        Assert.Contains(outcomes.Keys, k => k.StartsWith("echoes then our close"));
        int echoes = bystander.Echoes;
        await bystander.AwaitEchoesBeyondAsync(echoes, RawPeer.DefaultTimeout);
        await bystander.CloseAsync();
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(10));
        Assert.True(Errors.Count == 0, "Akka logged errors: " + string.Join("\n", Errors.Take(5)));
    }

    /// <summary>What the server must do with the stream: the protocol core over it in one piece,
    /// with the server's limits.</summary>
    private static Prediction Predict(byte[] stream, WebSocketSettings settings)
    {
        var pongs = new List<byte[]>();
        var echoes = new List<(Opcode, byte[])>();
        using var assembler = new MessageAssembler(settings.MaxMessageSize, settings.MaxFragments);
        using var decoder = new FrameDecoder(Role.Server, settings.MaxFrameSize, assembler);
        var input = stream.AsSpan();
        while (true)
        {
            var decoded = decoder.Decode(input);
            input = input[decoded.Consumed..];
            if (decoded.Violation is { } violation)
                return new(pongs, echoes, End.Violation, violation.CloseCode, input.Length);
            if (decoded.Status == ProtocolStatus.NeedMoreData)
                return new(pongs, echoes, decoder.HasPartialFrame ? End.PartialFrame : End.Open, null);
            var frame = decoded.Value;
            switch (frame.Opcode)
            {
                case Opcode.Ping:
                    pongs.Add(frame.Payload.ToArray());
                    continue;
                case Opcode.Pong:
                    continue;
                case Opcode.Close:
                    var close = CloseStatus.Parse(frame.Payload);
                    if (close.Violation is { } bad)
                        return new(pongs, echoes, End.Violation, bad.CloseCode, input.Length);
                    // §5.5.1: echoed; a close without a code is answered with an empty one.
                    return new(pongs, echoes, End.PeerClose, close.Value.Code == CloseCodes.NoStatusReceived ? null : close.Value.Code, input.Length);
            }
            var assembled = assembler.Add(frame.Header, frame.Payload);
            if (assembled.Violation is { } invalid)
                return new(pongs, echoes, End.Violation, invalid.CloseCode, input.Length);
            if (assembled.IsComplete)
                echoes.Add((assembled.Value.Type == MessageType.Text ? Opcode.Text : Opcode.Binary, assembled.Value.Payload.ToArray()));
        }
    }

    private static async Task<string> RunOneAsync(WebSocketServer server, byte[] stream, Prediction expected, Random random)
    {
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        bool tcpClosedEarly = false;
        try
        {
            for (int offset = 0; offset < stream.Length;)
            {
                int chunk = Math.Min(stream.Length - offset, random.Next(1, 4096));
                await peer.SendAsync(stream.AsMemory(offset, chunk));
                offset += chunk;
            }
        }
        catch (SocketException)
        {
            // A violation early in a long stream: the server may close TCP before the rest is sent
            // (the reset then shows here, and later reads see only the end of the stream).
            tcpClosedEarly = true;
        }
        Assert.True(!tcpClosedEarly || expected.End is End.Violation or End.PeerClose, "the server closed TCP on a stream it should have kept reading");

        var pongs = new List<byte[]>();
        var echoes = new List<WireFrame>();
        WireFrame? close = null;
        bool ourClose = false;
        int expectedFrames = expected.Pongs.Count + expected.Echoes.Count;
        while (true)
        {
            if (expected.End is End.Open or End.PartialFrame && !ourClose && pongs.Count + echoes.Count == expectedFrames)
            {
                // Everything the stream asked for came back; now end the connection ourselves.
                ourClose = true;
                if (expected.End == End.Open)
                    await peer.SendAsync(peer.Close(CloseCodes.NormalClosure)); // valid even between fragments (§5.4)
                else
                    peer.Socket.Shutdown(SocketShutdown.Send);                 // no frame can follow a partial one
            }
            var frame = await peer.ReadFrameAsync(RawPeer.DefaultTimeout);
            if (frame is null)
                break;
            Assert.True(close is null, $"a {frame} after the server's close frame");
            switch (frame.Opcode)
            {
                case Opcode.Pong:
                    pongs.Add(frame.Payload);
                    break;
                case Opcode.Text or Opcode.Binary:
                    echoes.Add(frame);
                    break;
                case Opcode.Close:
                    close = frame;
                    try
                    {
                        await peer.SendAsync(peer.Close(frame.CloseCode ?? CloseCodes.NormalClosure));
                    }
                    catch (SocketException)
                    {
                    }
                    break;
                default:
                    Assert.Fail($"unexpected {frame}");
                    break;
            }
        }

        // The server closes TCP right after its close frame; if this peer is still sending the rest
        // of the stream then, the bytes that reach the closed socket draw a reset, and a reset
        // discards whatever this side had not read yet (pongs, echoes, the close frame). Only a
        // peer that sends past the end of what the server reads can see this.
        bool resetWhileSending = expected.Trailing > 0 && (peer.WasReset || tcpClosedEarly);

        // Every ping is answered before anything ends the connection, in order.
        Assert.True(resetWhileSending ? pongs.Count <= expected.Pongs.Count : pongs.Count == expected.Pongs.Count,
            $"{pongs.Count} pongs for {expected.Pongs.Count} pings");
        for (int i = 0; i < pongs.Count; i++)
            Assert.True(expected.Pongs[i].AsSpan().SequenceEqual(pongs[i]), $"pong {i} differs from its ping");
        // Echoes in order: all of them when we ended the connection, else those that the close
        // frame did not overtake (no data frame goes after a close frame, §5.5.1).
        Assert.True(ourClose ? echoes.Count == expected.Echoes.Count : echoes.Count <= expected.Echoes.Count,
            $"{echoes.Count} echoes for {expected.Echoes.Count} messages");
        for (int i = 0; i < echoes.Count; i++)
            Assert.True(echoes[i].Opcode == expected.Echoes[i].Opcode && echoes[i].Payload.AsSpan().SequenceEqual(expected.Echoes[i].Payload),
                $"echo {i} is {echoes[i]}, not the {expected.Echoes[i].Opcode} of {expected.Echoes[i].Payload.Length} bytes sent");

        switch (expected.End)
        {
            case End.Violation or End.PeerClose when close is null && resetWhileSending:
                return "TCP reset (peer still sending)";
            case End.Violation or End.PeerClose:
                Assert.True(close is not null, $"expected a close frame with {expected.CloseCode}, TCP {(peer.WasReset ? "reset" : "closed")} without one ({expected.Trailing} bytes sent after the end)");
                Assert.True(close.CloseCode == expected.CloseCode, $"expected close {expected.CloseCode?.ToString() ?? "(no code)"}, got {close}");
                return expected.End == End.Violation ? $"close {expected.CloseCode}" : "peer's close echoed";
            case End.Open:
                Assert.True(close is { CloseCode: CloseCodes.NormalClosure }, $"our close 1000 was answered with {close?.ToString() ?? "TCP closed"}");
                return "echoes then our close";
            default:
                Assert.True(close is null, $"a close frame after our FIN: {close}");
                return "echoes then our FIN";
        }
    }
}
