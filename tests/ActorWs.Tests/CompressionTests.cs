using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>permessage-deflate (RFC 7692) end to end on loopback, both roles: our client and server,
/// ClientWebSocket with DangerousDeflateOptions, Kestrel with DangerousEnableCompression.</summary>
public sealed class CompressionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static string Json(int bytes)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; sb.Length < bytes; i++)
            sb.Append($"{{\"id\":{i},\"name\":\"user{i % 37}\",\"tags\":[\"a\",\"b\"],\"ok\":true}},");
        return sb.ToString(0, bytes);
    }

    [Fact]
    public async Task Our_client_and_server_agree_on_permessage_deflate_and_echo_compressed_and_small_messages()
    {
        var trace = CreateTestProbe();
        Sys.EventStream.Subscribe(trace.Ref, typeof(LifecycleEvent));
        var settings = TestSettings.Create(traceLifecycle: true);
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), settings);
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, settings);
        var opened = app.ExpectMsg<Opened>(Wait);
        var extension = Assert.Single(opened.Extensions);
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover", extension.ToString());

        var json = Json(4096);
        opened.Connection.Tell(new SendText(json));
        Assert.Equal(json, app.ExpectMsg<TextReceived>(Wait).Text);
        opened.Connection.Tell(new SendText("small"));
        Assert.Equal("small", app.ExpectMsg<TextReceived>(Wait).Text);
        var blob = Encoding.ASCII.GetBytes(Json(70_000));
        opened.Connection.Tell(new SendBinary(blob));
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);

        // The trace shows the offer, the agreement, and each compressed message with its two sizes.
        var lines = new List<string>();
        trace.FishForMessage<LifecycleEvent>(e => { lines.Add(e.Message); return e.Message.StartsWith("message inflated: ") && e.Side == Role.Client && lines.Count(l => l.StartsWith("message inflated")) >= 4; }, Wait);
        Assert.Contains(lines, l => l.StartsWith("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover"));
        Assert.Contains(lines, l => l.StartsWith("permessage-deflate agreed: permessage-deflate; server_no_context_takeover"));
        Assert.Contains(lines, l => l.StartsWith("TEXT message compressed: 4096 -> "));
        Assert.Contains(lines, l => l.StartsWith("opcode=TEXT RSV1=1 "));
        Assert.Contains(lines, l => l.Contains("rsv1=1"));
        opened.Connection.Tell(new Close());
        Assert.True(app.ExpectMsg<Closed>(Wait).WasClean);
    }

    [Fact]
    public async Task With_compression_off_no_extension_is_offered_or_accepted()
    {
        var off = TestSettings.Create("actorws.compression.enabled = off");
        Assert.Null(off.Compression);
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), off);
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, TestSettings.Create());
        var opened = app.ExpectMsg<Opened>(Wait);
        Assert.Empty(opened.Extensions);
        var json = Json(4096);
        opened.Connection.Tell(new SendText(json));
        Assert.Equal(json, app.ExpectMsg<TextReceived>(Wait).Text);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task ClientWebSocket_with_DangerousDeflateOptions_talks_to_our_server(bool clientContextTakeover, bool serverContextTakeover)
    {
        var events = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(events.Ref), TestSettings.Create(
            $"actorws.compression.context-takeover = {(serverContextTakeover ? "on" : "off")}"));
        using var ws = new ClientWebSocket();
        ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions
        {
            ClientContextTakeover = clientContextTakeover,
            ServerContextTakeover = serverContextTakeover,
        };
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(server.Uri, cts.Token);
        var opened = events.ExpectMsg<Opened>(Wait);
        Assert.Equal(PerMessageDeflate.Name, Assert.Single(opened.Extensions).Name);

        foreach (var (message, type, fragments) in new (byte[], WebSocketMessageType, int)[]
        {
            (Encoding.UTF8.GetBytes(Json(4096)), WebSocketMessageType.Text, 1),
            (Encoding.UTF8.GetBytes("tiny"), WebSocketMessageType.Text, 1),
            (Encoding.UTF8.GetBytes(Json(50_000)), WebSocketMessageType.Text, 3),
            (Enumerable.Range(0, 20_000).Select(i => (byte)(i % 7)).ToArray(), WebSocketMessageType.Binary, 4),
        })
        {
            // Fragmented by ClientWebSocket: RSV1 on the first frame only (RFC 7692 §6.1).
            int size = (message.Length + fragments - 1) / fragments;
            for (int offset = 0; offset < message.Length; offset += size)
                await ws.SendAsync(message.AsMemory(offset, Math.Min(size, message.Length - offset)), type, offset + size >= message.Length, cts.Token);
            var received = new MemoryStream();
            var buffer = new byte[8192];
            ValueWebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer.AsMemory(), cts.Token);
                Assert.Equal(type, r.MessageType);
                received.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            Assert.Equal(message, received.ToArray());
        }
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(CloseCodes.NormalClosure, events.FishForMessage<Closed>(_ => true, Wait).Code);
    }

    [Fact]
    public async Task With_stream_over_compressed_messages_arrive_whole_and_uncompressed_ones_in_parts()
    {
        // RFC 7692 §6: a message with RSV1 on its first frame is inflated whole (within
        // max-message-size); one the client sends uncompressed is streamed as with no extension.
        const int streamOver = 64 * 1024;
        var events = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(events.Ref, reportMessages: true),
            TestSettings.Create($"actorws.messages.stream-over = {streamOver}"));
        using var ws = new ClientWebSocket();
        ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await ws.ConnectAsync(server.Uri, cts.Token);
        Assert.Equal(PerMessageDeflate.Name, Assert.Single(events.ExpectMsg<Opened>(Wait).Extensions).Name);

        async Task<byte[]> ReceiveMessage(WebSocketMessageType type)
        {
            var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            ValueWebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer.AsMemory(), cts.Token);
                Assert.Equal(type, r.MessageType);
                received.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            return received.ToArray();
        }

        // Compressed, 1 MiB inflated: whole, echoed whole, in two fragments (RSV1 on the first only, §6.1).
        var json = Encoding.UTF8.GetBytes(Json(1 << 20));
        await ws.SendAsync(json.AsMemory(0, 300_000), WebSocketMessageType.Text, endOfMessage: false, cts.Token);
        await ws.SendAsync(json.AsMemory(300_000), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        Assert.Equal(json.Length, events.ExpectMsg<TextReceived>(Wait).Text.Length);
        Assert.Equal(json, await ReceiveMessage(WebSocketMessageType.Text));

        // Compressed but uncompressible (random bytes, larger on the wire than inflated): whole too.
        var noise = new byte[300_000];
        new Random(6455).NextBytes(noise);
        await ws.SendAsync(noise, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        Assert.Equal(noise, events.ExpectMsg<BinaryReceived>(Wait).Data);
        Assert.Equal(noise, await ReceiveMessage(WebSocketMessageType.Binary));

        // Sent uncompressed (RSV1 = 0): streamed in parts of at most stream-over that join to it.
        await ws.SendAsync(noise, WebSocketMessageType.Binary, WebSocketMessageFlags.EndOfMessage | WebSocketMessageFlags.DisableCompression, cts.Token);
        int at = 0;
        PartReceived part;
        do
        {
            part = events.ExpectMsg<PartReceived>(Wait);
            Assert.Equal(MessageType.Binary, part.Type);
            Assert.InRange(part.Payload.Length, 0, streamOver);
            Assert.True(part.Payload.Span.SequenceEqual(noise.AsSpan(at, part.Payload.Length)), $"part at {at} differs");
            at += part.Payload.Length;
        }
        while (!part.IsLast);
        Assert.Equal(noise.Length, at);

        // And compressed again after it: the inflater's state survived the streamed message.
        await ws.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        Assert.Equal(json.Length, events.ExpectMsg<TextReceived>(Wait).Text.Length);
        Assert.Equal(json, await ReceiveMessage(WebSocketMessageType.Text));

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(CloseCodes.NormalClosure, events.FishForMessage<Closed>(_ => true, Wait).Code);
        await server.StopAsync();
    }

    [Fact]
    public async Task Our_client_talks_to_Kestrel_with_DangerousEnableCompression()
    {
        string? agreed = null;
        await using var web = await KestrelEcho.StartAsync(accept: context =>
        {
            agreed = context.Request.Headers["Sec-WebSocket-Extensions"];
            return new WebSocketAcceptContext { DangerousEnableCompression = true };
        });
        var port = web.Port();
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"ws://127.0.0.1:{port}/echo"), app.Ref, TestSettings.Create());
        var opened = app.ExpectMsg<Opened>(Wait);
        Assert.Equal(PerMessageDeflate.Name, Assert.Single(opened.Extensions).Name);
        Assert.StartsWith("permessage-deflate", agreed);
        var json = Json(200_000);
        opened.Connection.Tell(new SendText(json));
        Assert.Equal(json, app.ExpectMsg<TextReceived>(Wait).Text);
        opened.Connection.Tell(new SendText("short"));
        Assert.Equal("short", app.ExpectMsg<TextReceived>(Wait).Text);
        var blob = new byte[30_000];
        Random.Shared.NextBytes(blob);
        opened.Connection.Tell(new SendBinary(blob));
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);
        opened.Connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        Assert.True(app.ExpectMsg<Closed>(Wait).WasClean);
        await web.StopAsync();
    }
}
