using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using ActorWs.Conformance.Tests.Support;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>
/// The other end of an ActorWs connection, played from a raw socket so that a test controls every
/// byte. With <see cref="Role.Server"/> the ActorWs server is under test and this is a raw client
/// (it does the client handshake by hand and masks its frames); with <see cref="Role.Client"/> the
/// ActorWs client is under test and this is a fake server on 127.0.0.1:0 (it answers the handshake
/// with the correct Accept and sends unmasked frames). Either way the ActorWs side runs an
/// <see cref="InteropHandler"/> that echoes messages, and every event it gets is in <see cref="Events"/>.
/// Frames coming back are read with <see cref="FrameDecoder"/> in the opposite role, so the rules
/// for what ActorWs sends (masking included) are checked on every frame.
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    /// <summary>How long a wait may take before the case fails: a limit for a hung connection, never
    /// a measurement (the RFC sets no deadline, and a loaded machine can be slow).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _socket;
    private readonly FrameDecoder _decoder;
    private readonly Action _stop;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start, _end;
    private int _deliveries;

    private RawPeer(Role role, ActorSystem system, Socket socket, HandlerEvents events, IActorRef connection, IActorRef clientHandler, Action stop, byte[] leftover)
    {
        Role = role;
        System = system;
        _socket = socket;
        Events = events;
        _connection = connection;
        _clientHandler = clientHandler;
        _stop = stop;
        _decoder = new FrameDecoder(role == Role.Server ? Role.Client : Role.Server, 64L * 1024 * 1024);
        leftover.CopyTo(_buffer, 0);
        _end = leftover.Length;
    }

    /// <summary>The role of the ActorWs endpoint under test.</summary>
    public Role Role { get; }

    /// <summary>The actor system the ActorWs side runs in (its own, with virtual time, when the case asks).</summary>
    public ActorSystem System { get; }

    /// <summary>The case's virtual clock; only for a case opened with <see cref="CaseOptions.VirtualTime"/>.</summary>
    public TestScheduler Scheduler => System.Scheduler as TestScheduler
        ?? throw new InvalidOperationException("this case runs in real time: add it with CaseOptions { VirtualTime = true }");

    private readonly IActorRef _connection;    // the ConnectionActor under test
    private readonly IActorRef _clientHandler; // the client role's handler (the server's is the connection's child)

    /// <summary>What the ActorWs handler was handed.</summary>
    public HandlerEvents Events { get; }

    /// <summary>Frames from this peer are masked when it plays the client (§5.3).</summary>
    public bool Masks => Role == Role.Server;

    public static Task<RawPeer> OpenAsync(Role role, CaseOptions? options = null)
    {
        options ??= new CaseOptions();
        var system = options.VirtualTime ? TestSystem.CreateVirtualTimeSystem() : TestSystem.System;
        var settings = options.Config is null ? TestSystem.Settings : TestSystem.SettingsWith(options.Config);
        return role == Role.Server ? ConnectToServerAsync(system, settings) : AcceptClientAsync(system, settings);
    }

    private static async Task<RawPeer> ConnectToServerAsync(ActorSystem system, WebSocketSettings settings)
    {
        var events = new HandlerEvents(system);
        var server = await WebSocketServer.StartAsync(system, InteropHandler.Props(events.Actor), settings, TestSystem.UniqueName("ws-server"));
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server.Endpoint);
            var handshake = ClientHandshake.Create(server.Uri);
            await socket.SendAsync(handshake.Request);
            var (head, leftover) = await ReadHeadAsync(socket);
            var error = handshake.Validate(head).Violation;
            Assert.True(error is null, $"the server's handshake response is not valid: {error?.Reason}\n{Encoding.ASCII.GetString(head)}");
            var opened = await events.NextAsync<Opened>(DefaultTimeout);
            // Opened.Connection is the writer; its parent is the connection actor.
            var connection = await system.ActorSelection(opened.Connection.Path.Parent).ResolveOne(DefaultTimeout);
            return new RawPeer(Role.Server, system, socket, events, connection, ActorRefs.Nobody, () => system.Stop(server.Actor), leftover);
        }
        catch
        {
            socket.Dispose();
            system.Stop(server.Actor);
            events.Dispose();
            throw;
        }
    }

    private static async Task<RawPeer> AcceptClientAsync(ActorSystem system, WebSocketSettings settings)
    {
        var events = new HandlerEvents(system);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var handler = system.ActorOf(InteropHandler.Props(events.Actor));
        IActorRef? client = null;
        Socket? socket = null;
        try
        {
            var uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/conformance");
            client = WebSocketClient.Connect(system, uri, handler, settings, TestSystem.UniqueName("ws-client"));
            socket = await listener.AcceptSocketAsync().WaitAsync(DefaultTimeout);
            socket.NoDelay = true;
            var (head, leftover) = await ReadHeadAsync(socket);
            var request = Encoding.ASCII.GetString(head);
            var key = request.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
                .Select(p => p[1].Trim()).SingleOrDefault();
            Assert.True(request.StartsWith("GET /conformance HTTP/1.1\r\n", StringComparison.Ordinal) && Handshake.IsValidKey(key), $"bad upgrade request from the client:\n{request}");
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                           $"Sec-WebSocket-Accept: {Handshake.ComputeAccept(key!)}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(response));
            var actor = client;
            var peer = new RawPeer(Role.Client, system, socket, events, client, handler, () => { system.Stop(actor); system.Stop(handler); }, leftover);
            await events.NextAsync<Opened>(DefaultTimeout);
            return peer;
        }
        catch
        {
            socket?.Dispose();
            if (client is not null)
                system.Stop(client);
            system.Stop(handler);
            events.Dispose();
            throw;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<(byte[] Head, byte[] Leftover)> ReadHeadAsync(Socket socket)
    {
        var received = new List<byte>();
        var chunk = new byte[4096];
        using var cts = new CancellationTokenSource(DefaultTimeout);
        while (true)
        {
            int n = await socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            if (n == 0)
                throw new InvalidOperationException($"TCP closed during the handshake after {received.Count} bytes: {Encoding.ASCII.GetString(received.ToArray())}");
            received.AddRange(chunk.AsSpan(0, n).ToArray());
            var all = received.ToArray();
            int end = all.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return (all[..(end + 4)], all[(end + 4)..]);
        }
    }

    // ---------------------------------------------------------------- sending

    /// <summary>A frame from this peer, masked when it plays the client.</summary>
    public byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0) =>
        Wire.Frame(opcode, payload, Masks, fin, rsv);

    public byte[] Text(string text, bool fin = true) => Frame(Opcode.Text, Wire.Utf8(text), fin);

    public byte[] Close(ushort code, string reason = "") => Frame(Opcode.Close, Wire.ClosePayload(code, Wire.Utf8(reason)));

    /// <summary>Writes bytes, in TCP writes of <paramref name="chop"/> bytes when it is positive.</summary>
    public async Task SendAsync(byte[] bytes, int chop = 0)
    {
        if (chop <= 0 || chop >= bytes.Length)
        {
            await _socket.SendAsync(bytes);
            return;
        }
        for (int offset = 0; offset < bytes.Length; offset += chop)
            await _socket.SendAsync(bytes.AsMemory(offset, Math.Min(chop, bytes.Length - offset)));
    }

    public Task SendAsync(params byte[][] frames) => SendAsync(Wire.Concat(frames));

    public Task SendFrameAsync(Opcode opcode, byte[] payload, bool fin = true, byte rsv = 0) => SendAsync(Frame(opcode, payload, fin, rsv));

    public Task SendTextAsync(string text, bool fin = true) => SendAsync(Text(text, fin));

    // ---------------------------------------------------------------- receiving

    /// <summary>The next frame from ActorWs, or null when TCP closed first.</summary>
    public async Task<WireFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            if (_start < _end)
            {
                var decoded = _decoder.Decode(_buffer.AsSpan(_start, _end - _start));
                _start += decoded.Consumed;
                if (decoded.Violation is { } violation)
                    Assert.Fail($"ActorWs ({Role}) sent a frame that breaks RFC 6455: {violation}");
                if (decoded.IsComplete)
                {
                    var frame = decoded.Value;
                    return new WireFrame(frame.Fin, frame.Header.Rsv, frame.Opcode, frame.Payload.ToArray());
                }
            }
            _start = _end = 0;
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no frame from ActorWs ({Role}) within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s; handler got: {Events.Describe()}");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                return null;
            }
            if (n == 0)
                return null;
            _end = n;
        }
    }

    private async Task<WireFrame> NextFrameAsync(string expecting, TimeSpan? timeout = null) =>
        await ReadFrameAsync(timeout) ?? throw new Xunit.Sdk.XunitException(
            $"expected {expecting} from ActorWs ({Role}) but TCP closed; handler got: {Events.Describe()}");

    /// <summary>The next frame must be exactly this unfragmented message or pong.
    /// <paramref name="countsAsDelivery"/>: an echo shows that the handler was handed the message.</summary>
    public async Task ExpectAsync(Opcode opcode, byte[] payload, TimeSpan? timeout = null, bool countsAsDelivery = true)
    {
        var frame = await NextFrameAsync($"{opcode.Name()} of {payload.Length} bytes", timeout);
        Assert.True(frame.Opcode == opcode && frame.Fin && frame.Rsv == 0,
            $"expected {opcode.Name()} fin=1 of {payload.Length} bytes, got {frame}; handler got: {Events.Describe()}");
        Assert.True(payload.AsSpan().SequenceEqual(frame.Payload),
            $"{opcode.Name()} payload differs: expected {payload.Length} bytes {Preview(payload)}, got {frame.Payload.Length} bytes {Preview(frame.Payload)}");
        if (countsAsDelivery && opcode is Opcode.Text or Opcode.Binary)
            _deliveries++;
    }

    public Task ExpectTextAsync(string text, TimeSpan? timeout = null) => ExpectAsync(Opcode.Text, Wire.Utf8(text), timeout);

    /// <summary>A text the handler sends of its own accord (not an echo), such as <c>pong:&lt;payload&gt;</c>.</summary>
    public Task ExpectReplyAsync(string text) => ExpectAsync(Opcode.Text, Wire.Utf8(text), countsAsDelivery: false);

    /// <summary>Sends a command of the interop protocol (<c>close:</c>, <c>ping:</c>): delivered to the handler, not echoed.</summary>
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
    /// hears the peer's code. <paramref name="payload"/> null sends a close frame with no body (1005).</summary>
    public async Task CloseAsync(ushort? code = CloseCodes.NormalClosure, string reason = "")
    {
        var payload = code is { } c ? Wire.ClosePayload(c, Wire.Utf8(reason)) : [];
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
            _socket.Shutdown(SocketShutdown.Send);
        var more = await ReadFrameAsync(DefaultTimeout);
        Assert.True(more is null, $"expected TCP to close, got another frame: {more}");
    }

    /// <summary>The handler's Closed, and a check that it was handed no message the test did not see
    /// echoed, and nothing at all after that one Closed until the connection actor was gone.</summary>
    public async Task ExpectClosedEventAsync(ushort code, bool? wasClean, string? reason = null)
    {
        var closed = await Events.NextAsync<Closed>(DefaultTimeout);
        Assert.True(closed.Code == code && (wasClean is null || closed.WasClean == wasClean) && (reason is null || closed.Reason == reason),
            $"expected the handler to hear Closed({code}{(reason is null ? "" : $" '{reason}'")}{(wasClean is null ? "" : $", wasClean={wasClean}")}), it heard {closed}");
        var after = await Events.AfterConnectionEndedAsync(_connection, _clientHandler, DefaultTimeout);
        Assert.True(after.Count == 0, $"after its Closed the handler was still handed: {string.Join(", ", after)}");
        int delivered = Events.Seen.Count(e => e is TextReceived or BinaryReceived);
        Assert.True(delivered == _deliveries,
            $"the handler was handed {delivered} messages but {_deliveries} were expected (a frame that failed the connection must deliver nothing): {Events.Describe()}");
    }

    private static string Preview(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(16, bytes.Length))) + (bytes.Length > 16 ? "..." : "");

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _decoder.Dispose();
        _stop();
        Events.Dispose();
        if (System != TestSystem.System)
            await System.Terminate();
    }
}
