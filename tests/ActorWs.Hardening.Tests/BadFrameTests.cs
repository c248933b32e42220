using System.Diagnostics;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// Hostile frames from either side that the conformance suite does not send: a frame cut off by a
/// TCP reset and a header that announces 2^63−1 bytes (the ping flood is in <see cref="PingFloodTests"/>).
/// In virtual time: none of these may wait for a timeout, and no timeout can end one instead.
/// </summary>
public sealed class BadFrameTests(ITestOutputHelper output) : HardeningKit(output, virtualTime: true)
{
    private static readonly TimeSpan Wait = RawPeer.DefaultTimeout;

    // ------------------------------------------------------------------ the server under test

    [Fact]
    public async Task Frame_header_cut_off_by_a_TCP_reset_reports_1006_unclean_and_stops_the_tree()
    {
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create(), monitor.Ref);
        var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        await monitor.ExpectMsgAsync<Opened>(Wait);
        // The first two bytes of a masked binary frame announcing a 16-bit length, then RST.
        await peer.SendAsync(new byte[] { 0x82, 0xFE, 0x01 });
        peer.Reset();

        var closed = await monitor.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        await AwaitNoConnectionsAsync(server, Wait);
    }

    [Fact]
    public async Task Header_announcing_2_pow_63_minus_1_bytes_gets_1009_at_once_with_no_payload_sent()
    {
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create(), monitor.Ref);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        await monitor.ExpectMsgAsync<Opened>(Wait);

        await peer.SendAsync(Wire.RawHeader(fin: true, rsv: 0, (int)Opcode.Binary, masked: true, long.MaxValue, lengthForm: 64));
        var close = await peer.ReadFrameAsync(Wait);
        // Decided from the header alone: not one payload byte was sent, and in virtual time no
        // timeout can have run out.
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.MessageTooBig }, $"expected close 1009, got {close?.ToString() ?? "TCP closed"}");
        await peer.SendAsync(peer.Close(CloseCodes.MessageTooBig));
        Assert.Empty(await peer.ReadUntilClosedAsync());
        Assert.Equal(CloseCodes.MessageTooBig, (await monitor.ExpectMsgAsync<Closed>(Wait)).Code);
        await AwaitNoConnectionsAsync(server, Wait);
    }

    [Fact]
    public async Task Message_close_and_FIN_right_behind_the_upgrade_request_are_all_delivered_in_order()
    {
        // A peer that writes its request, a message, its close frame and FIN in one go: TCP's end
        // comes while the opening handshake is still being judged, and must wait behind it.
        var monitor = CreateTestProbe();
        var server = await StartServerAsync(TestSettings.Create(), handler: EchoHandler.Props(monitor.Ref, reportMessages: true));
        for (int round = 0; round < 20; round++)
        {
            using var peer = await RawPeer.ConnectAsync(server.Endpoint);
            var request = Wire.Ascii(Wire.UpgradeRequest(server.Uri, Wire.NewKey()));
            await peer.SendAsync(request, peer.Text($"pipelined #{round}"), peer.Close(CloseCodes.NormalClosure, "bye"));
            peer.Socket.Shutdown(SocketShutdown.Send);

            Assert.IsType<Opened>(await monitor.ReceiveOneAsync(Wait));
            Assert.Equal(new TextReceived($"pipelined #{round}"), await monitor.ReceiveOneAsync(Wait));
            Assert.Equal(new Closed(CloseCodes.NormalClosure, "bye", true), await monitor.ReceiveOneAsync(Wait));
            // The peer's FIN ends the connection (the server does not keep half-open sockets), so
            // what it still gets of the answer depends on timing; that TCP closes does not.
            await peer.DrainUntilClosedAsync(Wait);
        }
        await AwaitNoConnectionsAsync(server, Wait);
    }

    // ------------------------------------------------------------------ the client under test

    /// <summary>A fake server on 127.0.0.1:0 for our client: accepts one connection, checks its
    /// upgrade request and answers it; <paramref name="handler"/> (a probe) gets the client's events.</summary>
    private async Task<(RawPeer Server, IActorRef Client)> ConnectOurClientAsync(TestProbe handler, WebSocketSettings settings)
    {
        using var listener = new LoopbackListener("/hardening");
        var client = WebSocketClient.Connect(Sys, listener.Uri, handler.Ref, settings, UniqueName.For("ws-client"));
        var peer = await listener.AcceptAsync(Wait);
        await handler.ExpectMsgAsync<Opened>(Wait);
        return (peer, client);
    }

    [Fact]
    public async Task Client_sees_1006_unclean_when_the_server_resets_TCP_inside_a_frame_header()
    {
        var handler = CreateTestProbe();
        var (server, client) = await ConnectOurClientAsync(handler, TestSettings.Create());
        Watch(client);
        await server.SendAsync(new byte[] { 0x82, 0x7F, 0x00, 0x00 }); // 4 of the 10 header bytes
        server.Reset();

        var closed = await handler.ExpectMsgAsync<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        await ExpectTerminatedAsync(client, Wait);
    }

    [Fact]
    public async Task Client_answers_a_server_header_announcing_2_pow_63_minus_1_bytes_with_1009_at_once()
    {
        var handler = CreateTestProbe();
        var (server, client) = await ConnectOurClientAsync(handler, TestSettings.Create());
        using var _ = server;
        Watch(client);

        await server.SendAsync(Wire.RawHeader(fin: true, rsv: 0, (int)Opcode.Binary, masked: false, long.MaxValue, lengthForm: 64));
        var close = await server.ReadFrameAsync(Wait); // the fake server's frame reader checks that it is masked
        // From the header alone, and in virtual time no timeout can have run out.
        Assert.True(close is { Opcode: Opcode.Close, CloseCode: CloseCodes.MessageTooBig }, $"expected close 1009, got {close?.ToString() ?? "TCP closed"}");
        await server.SendAsync(server.Close(CloseCodes.MessageTooBig));
        server.Socket.Shutdown(SocketShutdown.Send); // a server closes TCP first (§7.1.1)
        Assert.Empty(await server.ReadUntilClosedAsync());
        Assert.Equal(CloseCodes.MessageTooBig, (await handler.ExpectMsgAsync<Closed>(Wait)).Code);
        await ExpectTerminatedAsync(client, Wait);
    }
}
