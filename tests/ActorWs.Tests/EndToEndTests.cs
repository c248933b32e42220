using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>End to end on loopback: our client and server, .NET's ClientWebSocket, and Kestrel.</summary>
public sealed class EndToEndTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Our_client_echoes_text_and_binary_with_our_server_and_closes_cleanly()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create());
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, TestSettings.Create());
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        connection.Tell(new SendText("héllo"));
        Assert.Equal("héllo", app.ExpectMsg<TextReceived>(Wait).Text);
        connection.Tell(new SendBinary([0, 1, 2, 255]));
        Assert.Equal([0, 1, 2, 255], app.ExpectMsg<BinaryReceived>(Wait).Data);
        Watch(connection);
        connection.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(CloseCodes.NormalClosure, closed.Code);
        Assert.True(closed.WasClean);
        ExpectTerminated(connection, Wait);
    }

    [Fact]
    public async Task With_tracing_off_a_whole_connection_publishes_no_lifecycle_event()
    {
        var trace = CreateTestProbe();
        Sys.EventStream.Subscribe(trace.Ref, typeof(LifecycleEvent));
        var quiet = TestSettings.Create(traceLifecycle: false);
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), quiet);
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, quiet);
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        connection.Tell(new SendText("quiet"));
        app.ExpectMsg<TextReceived>(Wait);
        connection.Tell(new Close());
        app.ExpectMsg<Closed>(Wait);
        // Events are published on the thread that emits them, so any would be in the probe's mailbox by now.
        Assert.False(trace.HasMessages, $"a lifecycle event with tracing off: {(trace.HasMessages ? trace.ReceiveOne(TimeSpan.Zero) : null)}");
    }

    [Fact]
    public async Task ClientWebSocket_talks_to_our_server_text_binary_and_close_handshake()
    {
        var events = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(events.Ref), TestSettings.Create());
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(server.Uri, cts.Token);
        events.ExpectMsg<Opened>(Wait);
        var buffer = new byte[8192];

        await ws.SendAsync(Encoding.UTF8.GetBytes("ünïcode text"), WebSocketMessageType.Text, true, cts.Token);
        var r = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal((WebSocketMessageType.Text, "ünïcode text"), (r.MessageType, Encoding.UTF8.GetString(buffer, 0, r.Count)));

        var blob = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await ws.SendAsync(blob, WebSocketMessageType.Binary, true, cts.Token);
        var received = new List<byte>();
        do
        {
            r = await ws.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(WebSocketMessageType.Binary, r.MessageType);
            received.AddRange(buffer.AsSpan(0, r.Count).ToArray());
        } while (!r.EndOfMessage);
        Assert.Equal(blob, received);

        // The server closes with a code and reason of its own; ClientWebSocket sees both.
        await ws.SendAsync("close:4000:server says bye"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        r = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal((WebSocketCloseStatus)4000, ws.CloseStatus);
        Assert.Equal("server says bye", ws.CloseStatusDescription);
        await ws.CloseOutputAsync((WebSocketCloseStatus)4000, "", cts.Token);
        var closed = events.ExpectMsg<Closed>(Wait);
        Assert.Equal((4000, true), (closed.Code, closed.WasClean));
    }

    [Fact]
    public async Task ClientWebSocket_closing_first_gets_its_code_echoed_and_the_handler_its_reason()
    {
        var events = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(events.Ref), TestSettings.Create());
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(server.Uri, cts.Token);
        events.ExpectMsg<Opened>(Wait);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "client done", cts.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "client done", true), events.ExpectMsg<Closed>(Wait));
    }

    [Fact]
    public async Task Our_client_talks_to_a_Kestrel_echo_server()
    {
        await using var web = await KestrelEcho.StartAsync();
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"ws://127.0.0.1:{web.Port()}/echo"), app.Ref, TestSettings.Create());
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        connection.Tell(new SendText("to kestrel"));
        Assert.Equal("to kestrel", app.ExpectMsg<TextReceived>(Wait).Text);
        var blob = new byte[20_000];
        Random.Shared.NextBytes(blob);
        connection.Tell(new SendBinary(blob));
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);
        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(CloseCodes.NormalClosure, closed.Code);
        Assert.True(closed.WasClean);
        await web.StopAsync();
    }

    /// <summary>Sends its messages pipelined (a window in flight) and checks each echo against the next expected one.</summary>
    private sealed class LoadClient : ReceiveActor
    {
        public sealed record Done(int Id, int Received, string? Error);

        private const int Window = 100;
        private readonly List<object> _messages = [];
        private int _sent, _received;
        private IActorRef _connection = ActorRefs.Nobody;

        public LoadClient(int id, int count, IActorRef report)
        {
            var rng = new Random(id);
            for (int i = 0; i < count; i++)
            {
                int size = rng.Next(0, 4097);
                if (i % 2 == 0)
                {
                    var data = new byte[size];
                    rng.NextBytes(data);
                    if (size >= 8)
                        BinaryPrimitives.WriteInt32BigEndian(data, i);
                    _messages.Add(data);
                }
                else
                {
                    var sb = new StringBuilder($"{i}:");
                    while (sb.Length < size)
                        sb.Append((char)rng.Next('a', 'z' + 1));
                    _messages.Add(size == 0 ? "" : sb.ToString(0, Math.Max(size, 0)));
                }
            }

            void Pump()
            {
                while (_sent < _messages.Count && _sent - _received < Window)
                    _connection.Tell(_messages[_sent++] is string s ? new SendText(s) : new SendBinary((byte[])_messages[_sent - 1]));
            }

            void Check(object got)
            {
                var expected = _messages[_received];
                bool same = (expected, got) switch
                {
                    (string e, TextReceived t) => e == t.Text,
                    (byte[] e, BinaryReceived b) => e.AsSpan().SequenceEqual(b.Data),
                    _ => false,
                };
                if (!same)
                {
                    report.Tell(new Done(id, _received, $"message {_received} differs"));
                    Become(() => ReceiveAny(_ => { }));
                    return;
                }
                if (++_received == _messages.Count)
                {
                    report.Tell(new Done(id, _received, null));
                    _connection.Tell(new Close());
                    return;
                }
                Pump();
            }

            Receive<Opened>(o =>
            {
                _connection = o.Connection;
                Pump();
            });
            Receive<TextReceived>(Check);
            Receive<BinaryReceived>(Check);
            Receive<Closed>(c =>
            {
                if (_received < _messages.Count)
                    report.Tell(new Done(id, _received, $"closed early: {c}"));
            });
            ReceiveAny(_ => { });
        }
    }

    [Fact]
    public async Task Hundred_concurrent_connections_each_echo_a_thousand_mixed_messages_in_order()
    {
        const int connections = 100, messages = 1000;
        // 200 sockets open at once on a loaded machine: the opening handshakes get a minute (the
        // test is not about their timeout; in a double CI run one took more than the 10 s default).
        var settings = TestSettings.Create("actorws { handshake.timeout = 60s, reconnect.connect-timeout = 60s }");
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), settings);
        var report = CreateTestProbe();
        for (int i = 0; i < connections; i++)
        {
            var client = Sys.ActorOf(Props.Create(() => new LoadClient(i, messages, report.Ref)), $"load-{i}");
            WebSocketClient.Connect(Sys, server.Uri, client, settings, name: $"ws-client-{i}");
        }
        var done = new HashSet<int>();
        for (int i = 0; i < connections; i++)
        {
            var d = report.ExpectMsg<LoadClient.Done>(TimeSpan.FromSeconds(60));
            Assert.True(d.Error is null, $"connection {d.Id}: {d.Error} after {d.Received} messages");
            Assert.Equal(messages, d.Received);
            done.Add(d.Id);
        }
        Assert.Equal(connections, done.Count);
    }
}
