using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using ActorWs.Conformance.Tests.Support;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>
/// One conformance case's connection: the ActorWs endpoint under test, and ActorWs.Testing's
/// <see cref="RawPeer"/> at its other end. With <see cref="Role.Server"/> the ActorWs server is
/// under test and the peer is a raw client; with <see cref="Role.Client"/> the ActorWs client is
/// under test and the peer is a fake server on 127.0.0.1:0. Either way the ActorWs side runs an
/// <see cref="EchoHandler"/> that echoes messages, and every event it gets is in
/// <see cref="Events"/>; what ActorWs sends is read with the kit's <see cref="FrameReader"/>, so the
/// rules for it (masking for its role included) are checked on every frame. This class adds what a
/// case asserts about both together: echoes, the close it fails with, exactly one Closed.
/// </summary>
public sealed class CasePeer : IAsyncDisposable
{
    private readonly RawPeer _peer;
    private readonly Action _stop;
    private readonly IActorRef _connection;    // the ConnectionActor under test
    private readonly IActorRef _clientHandler; // the client role's handler (the server's is the connection's child)
    private int _deliveries;

    private CasePeer(Role role, ActorSystem system, RawPeer peer, HandlerEvents events, IActorRef connection, IActorRef clientHandler, Action stop)
    {
        Role = role;
        System = system;
        _peer = peer;
        Events = events;
        _connection = connection;
        _clientHandler = clientHandler;
        _stop = stop;
        peer.Describe = () => $"ActorWs ({role}) handler got: {events.Describe()}";
    }

    /// <summary>The role of the ActorWs endpoint under test.</summary>
    public Role Role { get; }

    /// <summary>The actor system the ActorWs side runs in (its own, with virtual time, when the case asks).</summary>
    public ActorSystem System { get; }

    /// <summary>The case's virtual clock; only for a case opened with <see cref="CaseOptions.VirtualTime"/>.</summary>
    public TestScheduler Scheduler => System.Scheduler as TestScheduler
        ?? throw new InvalidOperationException("this case runs in real time: add it with CaseOptions { VirtualTime = true }");

    /// <summary>What the ActorWs handler was handed.</summary>
    public HandlerEvents Events { get; }

    /// <summary>Frames from this peer are masked when it plays the client (§5.1).</summary>
    public bool Masks => _peer.Masks;

    public static Task<CasePeer> OpenAsync(Role role, CaseOptions? options = null)
    {
        options ??= new CaseOptions();
        var system = options.VirtualTime ? TestSystem.CreateVirtualTimeSystem() : TestSystem.System;
        var settings = options.Config is null ? TestSystem.Settings : TestSettings.Create(options.Config, TestSystem.Tracing);
        return role == Role.Server ? ConnectToServerAsync(system, settings) : AcceptClientAsync(system, settings);
    }

    private static async Task<CasePeer> ConnectToServerAsync(ActorSystem system, WebSocketSettings settings)
    {
        var events = new HandlerEvents(system);
        var server = await WebSocketServer.StartAsync(system, events.HandlerProps, settings, UniqueName.For("ws-server"));
        RawPeer? peer = null;
        try
        {
            peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
            var opened = await events.NextAsync<Opened>(RawPeer.DefaultTimeout);
            // Opened.Connection is the writer; its parent is the connection actor.
            var connection = await system.SyncAsync(opened.Connection.Path.Parent, RawPeer.DefaultTimeout);
            return new CasePeer(Role.Server, system, peer, events, connection, ActorRefs.Nobody, () => system.Stop(server.Actor));
        }
        catch
        {
            peer?.Dispose();
            system.Stop(server.Actor);
            events.Dispose();
            throw;
        }
    }

    private static async Task<CasePeer> AcceptClientAsync(ActorSystem system, WebSocketSettings settings)
    {
        var events = new HandlerEvents(system);
        using var listener = new LoopbackListener("/conformance");
        var handler = system.ActorOf(events.HandlerProps);
        IActorRef? client = null;
        RawPeer? peer = null;
        try
        {
            client = WebSocketClient.Connect(system, listener.Uri, handler, settings, UniqueName.For("ws-client"));
            peer = await listener.AcceptAsync();
            var actor = client;
            var casePeer = new CasePeer(Role.Client, system, peer, events, client, handler, () => { system.Stop(actor); system.Stop(handler); });
            await events.NextAsync<Opened>(RawPeer.DefaultTimeout);
            return casePeer;
        }
        catch
        {
            peer?.Dispose();
            if (client is not null)
                system.Stop(client);
            system.Stop(handler);
            events.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- sending

    /// <summary>A frame from this peer, masked when it plays the client.</summary>
    public byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0) => _peer.Frame(opcode, payload, fin, rsv);

    public byte[] Text(string text, bool fin = true) => _peer.Text(text, fin);

    public byte[] Close(ushort code, string reason = "") => _peer.Close(code, reason);

    /// <summary>Writes bytes, in TCP writes of <paramref name="chop"/> bytes when it is positive.</summary>
    public Task SendAsync(byte[] bytes, int chop) => _peer.SendAsync(bytes, chop);

    /// <summary>Writes frames in one write.</summary>
    public Task SendAsync(params byte[][] frames) => _peer.SendAsync(frames);

    public Task SendFrameAsync(Opcode opcode, byte[] payload, bool fin = true, byte rsv = 0) => SendAsync(Frame(opcode, payload, fin, rsv));

    public Task SendTextAsync(string text, bool fin = true) => SendAsync(Text(text, fin));

    // ---------------------------------------------------------------- receiving

    /// <summary>The next frame from ActorWs, or null when TCP closed first.</summary>
    public Task<WireFrame?> ReadFrameAsync(TimeSpan? timeout = null) => _peer.ReadFrameAsync(timeout);

    private async Task<WireFrame> NextFrameAsync(string expecting, TimeSpan? timeout = null) =>
        await ReadFrameAsync(timeout) ?? throw new Xunit.Sdk.XunitException(
            $"expected {expecting} from ActorWs ({Role}) but TCP closed; handler got: {Events.Describe()}");

    /// <summary>The next frame must be exactly this unfragmented message or pong.
    /// <paramref name="countsAsDelivery"/>: an echo shows that the handler was handed the message.</summary>
    public async Task ExpectAsync(Opcode opcode, byte[] payload, TimeSpan? timeout = null, bool countsAsDelivery = true)
    {
        var name = WireFrame.NameOf(opcode);
        var frame = await NextFrameAsync($"{name} of {payload.Length} bytes", timeout);
        Assert.True(frame.Opcode == opcode && frame.Fin && frame.Rsv == 0,
            $"expected {name} fin=1 of {payload.Length} bytes, got {frame}; handler got: {Events.Describe()}");
        Assert.True(payload.AsSpan().SequenceEqual(frame.Payload),
            $"{name} payload differs: expected {payload.Length} bytes {Preview(payload)}, got {frame.Payload.Length} bytes {Preview(frame.Payload)}");
        if (countsAsDelivery && opcode is Opcode.Text or Opcode.Binary)
            _deliveries++;
    }

    public Task ExpectTextAsync(string text, TimeSpan? timeout = null) => ExpectAsync(Opcode.Text, Wire.Utf8(text), timeout);

    /// <summary>A text the handler sends of its own accord (not an echo), such as <c>pong:&lt;payload&gt;</c>.</summary>
    public Task ExpectReplyAsync(string text) => ExpectAsync(Opcode.Text, Wire.Utf8(text), countsAsDelivery: false);

    /// <summary>Sends a command of the echo handler (<c>close:</c>, <c>ping:</c>): delivered to the handler, not echoed.</summary>
    public async Task SendCommandAsync(string command)
    {
        await SendTextAsync(command);
        _deliveries++;
    }

    public Task ExpectBinaryAsync(byte[] data, TimeSpan? timeout = null) => ExpectAsync(Opcode.Binary, data, timeout);

    public Task ExpectPongAsync(byte[] payload) => ExpectAsync(Opcode.Pong, payload);

    /// <summary>Sends a message and expects it echoed whole.</summary>
    public async Task EchoAsync(Opcode opcode, byte[] payload, int chop = 0, TimeSpan? timeout = null)
    {
        await SendAsync(Frame(opcode, payload), chop);
        await ExpectAsync(opcode, payload, timeout);
    }

    /// <summary>
    /// ActorWs must fail the connection with <paramref name="code"/>: the next frame is its close frame
    /// (nothing else before it), the peer answers it, TCP closes, and the handler hears exactly one
    /// Closed with that code after only the messages the test saw echoed.
    /// </summary>
    public async Task ExpectFailAsync(ushort code)
    {
        var frame = await NextFrameAsync($"a close frame with {code}");
        Assert.True(frame.Opcode == Opcode.Close, $"expected ActorWs to fail the connection with a {code} close frame, got {frame}; handler got: {Events.Describe()}");
        Assert.True(frame.CloseCode == code, $"expected close code {code}, got {frame}; handler got: {Events.Describe()}");
        try
        {
            await SendAsync(Frame(Opcode.Close, frame.Payload.AsSpan(0, 2)));
        }
        catch (SocketException)
        {
            // Failing the connection (§7.1.7) may close TCP without waiting for our answer.
        }
        await ExpectTcpClosedAsync();
        // Whether the handshake counts as clean depends on whether ActorWs still read our answer
        // after failing; the code is what matters (§7.1.7: the handler hears the code it failed with).
        await ExpectClosedEventAsync(code, wasClean: null);
    }

    /// <summary>The peer closes: ActorWs must echo the code (§5.5.1), then TCP closes and the handler
    /// hears the peer's code. <paramref name="code"/> null sends a close frame with no body (1005).</summary>
    public async Task CloseAsync(ushort? code = CloseCodes.NormalClosure, string reason = "")
    {
        var payload = code is { } c ? Wire.ClosePayload(c, reason) : [];
        await SendAsync(Frame(Opcode.Close, payload));
        await ExpectCloseEchoAsync(code);
        await ExpectClosedEventAsync(code ?? CloseCodes.NoStatusReceived, wasClean: true, reason);
    }

    /// <summary>After the peer's close frame (already sent): ActorWs answers with a close frame echoing
    /// the code, as the very next frame, then TCP closes.</summary>
    public async Task ExpectCloseEchoAsync(ushort? code)
    {
        var frame = await NextFrameAsync($"the close frame echoing {code?.ToString() ?? "(no code)"}");
        Assert.True(frame.Opcode == Opcode.Close, $"expected the close echo, got {frame}; handler got: {Events.Describe()}");
        Assert.True(frame.CloseCode == code, $"expected the close echo to carry {code?.ToString() ?? "no code"}, got {frame}");
        await ExpectTcpClosedAsync();
    }

    /// <summary>
    /// TCP must close with nothing more to read. As the raw client, the ActorWs server closes first
    /// (§7.1.1); as the fake server, this side closes first (FIN) and the ActorWs client then closes.
    /// </summary>
    public async Task ExpectTcpClosedAsync()
    {
        if (Role == Role.Client)
            _peer.Socket.Shutdown(SocketShutdown.Send);
        var more = await ReadFrameAsync(RawPeer.DefaultTimeout);
        Assert.True(more is null, $"expected TCP to close, got another frame: {more}");
    }

    /// <summary>The handler's Closed, and a check that it was handed no message the test did not see
    /// echoed, and nothing at all after that one Closed until the connection actor was gone.</summary>
    public async Task ExpectClosedEventAsync(ushort code, bool? wasClean, string? reason = null)
    {
        var closed = await Events.NextAsync<Closed>(RawPeer.DefaultTimeout);
        Assert.True(closed.Code == code && (wasClean is null || closed.WasClean == wasClean) && (reason is null || closed.Reason == reason),
            $"expected the handler to hear Closed({code}{(reason is null ? "" : $" '{reason}'")}{(wasClean is null ? "" : $", wasClean={wasClean}")}), it heard {closed}");
        var after = await Events.AfterConnectionEndedAsync(_connection, _clientHandler, RawPeer.DefaultTimeout);
        Assert.True(after.Count == 0, $"after its Closed the handler was still handed: {string.Join(", ", after)}");
        int delivered = Events.Seen.Count(e => e is TextReceived or BinaryReceived);
        Assert.True(delivered == _deliveries,
            $"the handler was handed {delivered} messages but {_deliveries} were expected (a frame that failed the connection must deliver nothing): {Events.Describe()}");
    }

    private static string Preview(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(16, bytes.Length))) + (bytes.Length > 16 ? "..." : "");

    public async ValueTask DisposeAsync()
    {
        _peer.Dispose();
        _stop();
        Events.Dispose();
        if (System != TestSystem.System)
            await System.Terminate();
    }
}
