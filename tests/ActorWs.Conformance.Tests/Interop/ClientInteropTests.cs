using System.Threading.Channels;
using Akka.Actor;
using ActorWs.Conformance.Tests.Support;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>
/// The ActorWs client (<see cref="WebSocketClient.Connect"/>) against independent echo servers: Node
/// "ws" and Python "websockets" (tests/interop/*-echo-server.*). The handler is a probe: it records
/// every event, and the test sends the commands itself.
/// </summary>
public abstract class ClientInteropTests(PeerKind kind)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed class Session : IAsyncDisposable
    {
        public required PeerProcess Peer { get; init; }
        public required HandlerEvents Events { get; init; }
        public required IActorRef Client { get; init; }
        public required IActorRef Connection { get; init; }
        public required string Name { get; init; }
        public required Opened Opened { get; init; }

        public void Send(object command) => Connection.Tell(command);

        public async Task<string> NextTextAsync() => (await Events.NextAsync<TextReceived>(Timeout)).Text;

        public async Task<byte[]> NextBinaryAsync() => (await Events.NextAsync<BinaryReceived>(Timeout)).Data;

        public async ValueTask DisposeAsync()
        {
            TestSystem.System.Stop(Client);
            await Peer.DisposeAsync();
            Events.Dispose();
        }
    }

    private async Task<Session> OpenAsync(WebSocketSettings? settings = null)
    {
        PeerGuard.Require(kind);
        var peer = await PeerProcess.StartServer(kind);
        var system = TestSystem.System;
        var events = new HandlerEvents(system);
        var name = UniqueName.For("ws-client");
        var client = WebSocketClient.Connect(system, new Uri(peer.Url), events.Actor, settings ?? TestSystem.Settings, name);
        try
        {
            var opened = await events.NextAsync<Opened>(Timeout);
            Assert.Equal(Role.Client, opened.Role);
            return new Session { Peer = peer, Events = events, Client = client, Connection = opened.Connection, Name = name, Opened = opened };
        }
        catch
        {
            system.Stop(client);
            await peer.DisposeAsync();
            events.Dispose();
            throw;
        }
    }

    [Theory]
    [InlineData("Hello, WebSocket! 0123456789 ~!@#$%^&*()")]
    [InlineData("Привет, мир! héllo 日本語 😀 emoji 🎉 𝄞")]
    public async Task Text_is_echoed(string text)
    {
        await using var s = await OpenAsync();
        s.Send(new SendText(text));
        Assert.Equal(text, await s.NextTextAsync());
    }

    [Fact]
    public async Task Binary_with_all_256_byte_values_is_echoed()
    {
        await using var s = await OpenAsync();
        var data = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        s.Send(new SendBinary(data));
        Assert.Equal(data, await s.NextBinaryAsync());
    }

    [Fact]
    public async Task Sizes_0_125_126_65535_65536_and_1MiB_are_echoed()
    {
        await using var s = await OpenAsync();
        foreach (int size in new[] { 0, 125, 126, 65535, 65536, 1 << 20 })
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            s.Send(new SendBinary(data));
            var echoed = await s.NextBinaryAsync();
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"binary of {size} bytes: echoed {echoed.Length} bytes, not the same");
            var text = new string('x', size);
            s.Send(new SendText(text));
            Assert.True(text == await s.NextTextAsync(), $"text of {size} bytes not echoed the same");
        }
    }

    /// <summary>The data frames a client connection read, from its lifecycle trace.</summary>
    private sealed class DataFramesRead : IDisposable
    {
        private readonly Channel<string> _frames = Channel.CreateUnbounded<string>();
        private readonly IActorRef _subscriber;

        public DataFramesRead(ActorSystem system, string connection)
        {
            var writer = _frames.Writer;
            _subscriber = LifecycleTap.Subscribe(system, e =>
            {
                if (e.Connection != connection || e is not { Direction: Direction.Received, Category: TraceCategory.Frame })
                    return;
                // "opcode=TEXT fin=0 masked=0 len=8 payload=...": keep the opcode and FIN of data frames.
                var words = e.Message.Split(' ');
                if (words[0] is "opcode=TEXT" or "opcode=BINARY" or "opcode=CONT")
                    writer.TryWrite($"{words[0]} {words[1]}");
            });
        }

        /// <summary>The frames of the next message, as "opcode=X fin=N", up to the one with FIN set.</summary>
        public async Task<List<string>> NextMessageAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            var frames = new List<string>();
            do
                frames.Add(await _frames.Reader.ReadAsync(cts.Token));
            while (!frames[^1].EndsWith("fin=1", StringComparison.Ordinal));
            return frames;
        }

        public void Dispose() => _subscriber.Tell(PoisonPill.Instance);
    }

    [Fact]
    public async Task Compressed_text_and_binary_flow_both_ways_whole_and_fragmented()
    {
        // Both peers' servers have permessage-deflate on (RFC 7692): ws with a 1 KiB threshold,
        // websockets for every message, with a 12-bit window of its own (which a 15-bit inflater reads).
        await using var s = await OpenAsync(TestSystem.Settings with { TraceLifecycle = true });
        Assert.Equal(PerMessageDeflate.Name, Assert.Single(s.Opened.Extensions).Name);
        var compressedReads = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var tap = LifecycleTap.Subscribe(TestSystem.System, e =>
        {
            if (e.Connection == s.Name && e.Direction == Direction.Received && e.Category == TraceCategory.Frame && e.Message.Contains(" rsv1=1 "))
                compressedReads.Writer.TryWrite(e.Message);
        });
        try
        {
            var json = string.Concat(Enumerable.Range(0, 400).Select(i => "{\"id\":" + i + ",\"user\":\"name" + (i % 37) + "\"},"));
            s.Send(new SendText(json));
            Assert.Equal(json, await s.NextTextAsync());
            var blob = System.Text.Encoding.ASCII.GetBytes(json + json);
            s.Send(new SendBinary(blob));
            Assert.Equal(blob, await s.NextBinaryAsync());
            // The peer sends it back as 3 fragments, compressed: RSV1 on the first only (§6.1).
            s.Send(new SendText("fragmented:" + json));
            Assert.Equal(json, await s.NextTextAsync());
            // The peer compressed what it sent: the reader saw RSV1 on (at least) the three messages' first frames.
            using var cts = new CancellationTokenSource(Timeout);
            for (int i = 0; i < 3; i++)
                await compressedReads.Reader.ReadAsync(cts.Token);
        }
        finally
        {
            tap.Tell(PoisonPill.Instance);
        }
    }

    [Fact]
    public async Task A_message_the_peer_fragments_arrives_as_one_TextReceived()
    {
        // With the lifecycle trace on, the client's reader reports every frame it reads: what the
        // peer really sent, whatever the handler was handed.
        await using var s = await OpenAsync(TestSystem.Settings with { TraceLifecycle = true });
        using var frames = new DataFramesRead(TestSystem.System, s.Name);
        // The peer sends the text back as a 3-fragment message (split on code points).
        s.Send(new SendText("fragmented:hello fragmented world 😀"));
        Assert.Equal("hello fragmented world 😀", await s.NextTextAsync());
        s.Send(new SendText("after"));
        Assert.Equal("after", await s.NextTextAsync());
        // Three fragments at least (Python's websockets ends a message sent in parts with an empty
        // final fragment); then "after" in one frame.
        var fragments = await frames.NextMessageAsync(Timeout);
        Assert.True(fragments.Count >= 3 && fragments[0] == "opcode=TEXT fin=0" && fragments.Skip(1).All(f => f.StartsWith("opcode=CONT ", StringComparison.Ordinal)),
            $"the {kind} server sent: {string.Join(", ", fragments)}");
        Assert.Equal(["opcode=TEXT fin=1"], await frames.NextMessageAsync(Timeout));
        // Three frames, one message: the handler was handed the two texts and nothing in between.
        Assert.Equal([typeof(Opened), typeof(TextReceived), typeof(TextReceived)], s.Events.Seen.Select(e => e.GetType()));
    }

    [Fact]
    public async Task SendPing_gets_a_pong_with_the_identical_payload()
    {
        await using var s = await OpenAsync();
        var payload = Enumerable.Range(0, 125).Select(i => (byte)(i * 7)).ToArray();
        s.Send(new SendPing(payload));
        var pong = await s.Events.NextAsync<PongReceived>(Timeout);
        Assert.Equal(payload, pong.Payload);
    }

    [Fact]
    public async Task The_peers_ping_is_answered_with_a_pong()
    {
        await using var s = await OpenAsync();
        // The peer pings with "abc123" and, on the matching pong, sends "pong:abc123".
        s.Send(new SendText("ping:abc123"));
        Assert.Equal("pong:abc123", await s.NextTextAsync());
    }

    [Fact]
    public async Task Close_started_by_ActorWs_both_sides_report_the_code()
    {
        await using var s = await OpenAsync();
        s.Send(new Close(4002, "bye-from-actorws"));
        var closed = await s.Events.NextAsync<Closed>(Timeout);
        Assert.True(closed is { Code: 4002, WasClean: true }, $"ActorWs client reported {closed}");
        var peer = await s.Peer.WaitForNextCloseAsync(Timeout);
        Assert.True(peer.Code == 4002 && peer.Reason == "bye-from-actorws", $"{kind} server reported '{peer}'");
    }

    [Fact]
    public async Task Close_started_by_the_peer_both_sides_report_the_code()
    {
        await using var s = await OpenAsync();
        s.Send(new SendText("close:4003:bye-from-peer"));
        var closed = await s.Events.NextAsync<Closed>(Timeout);
        Assert.True(closed is { Code: 4003, Reason: "bye-from-peer", WasClean: true }, $"ActorWs client reported {closed}");
        var peer = await s.Peer.WaitForNextCloseAsync(Timeout);
        Assert.True(peer.Code == 4003, $"{kind} server reported '{peer}'");
    }

    [Fact]
    public async Task Peer_killed_mid_conversation_is_reported_as_1006_not_clean()
    {
        await using var s = await OpenAsync();
        s.Send(new SendText("before the kill"));
        Assert.Equal("before the kill", await s.NextTextAsync());
        s.Peer.Kill();
        var closed = await s.Events.NextAsync<Closed>(Timeout);
        Assert.True(closed is { Code: CloseCodes.AbnormalClosure, WasClean: false }, $"ActorWs client reported {closed}");
        // Exactly one Closed: once the connection actor has stopped it can tell the handler nothing
        // more, so a marker sent after that comes right behind whatever it did tell.
        await s.Client.WatchAsync().WaitAsync(Timeout);
        s.Events.Actor.Tell(EndOfEvents.Instance);
        await s.Events.NextAsync<EndOfEvents>(Timeout);
        Assert.Equal([typeof(Closed), typeof(EndOfEvents)], s.Events.Seen.SkipWhile(e => e is not Closed).Select(e => e.GetType()));
    }

    /// <summary>A marker sent to the handler's collector after the connection stopped: whatever the
    /// connection told the handler is in front of it.</summary>
    private sealed record EndOfEvents
    {
        public static readonly EndOfEvents Instance = new();
    }
}
