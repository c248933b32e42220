using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>The client's ReconnectSupervisor in real time: reconnect after an abnormal close, not after a clean one.</summary>
public sealed class ClientReconnectTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static WebSocketSettings Reconnecting() => TestSettings.Create("""
        actorws.reconnect { enabled = on, min-backoff = 50ms, first-delay-max = 200ms, max-backoff = 1s }
        """);

    [Fact]
    public async Task Client_reconnects_after_the_server_aborts_TCP_and_stops_after_a_clean_1000()
    {
        var serverSide = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(serverSide.Ref), Reconnecting());
        var app = CreateTestProbe();
        var supervisor = WebSocketClient.Connect(Sys, server.Uri, app.Ref, Reconnecting());
        Watch(supervisor);

        app.ExpectMsg<Opened>(Wait);
        var first = serverSide.ExpectMsg<Opened>(Wait).Connection;
        first.Tell(Abort.Instance); // the server drops TCP with no closing handshake
        serverSide.ExpectMsg<Closed>(Wait);
        var lost = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(CloseCodes.AbnormalClosure, lost.Code);
        Assert.False(lost.WasClean);
        Assert.Equal(1, app.ExpectMsg<Reconnecting>(Wait).Attempt);

        var again = app.ExpectMsg<Opened>(Wait); // the ReconnectSupervisor connected anew
        serverSide.ExpectMsg<Opened>(Wait);
        again.Connection.Tell(new SendText("after reconnect"));
        Assert.Equal("after reconnect", app.ExpectMsg<TextReceived>(Wait).Text);

        again.Connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.NormalClosure, true), (closed.Code, closed.WasClean));
        ExpectTerminated(supervisor, Wait); // no reconnect after a clean close
        // Only the supervisor's connections talk to the app, and they stopped before it did.
        Assert.False(app.HasMessages);
    }
}
