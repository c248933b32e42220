using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary><see cref="WebSocketServer.StopAsync"/>: every connection ends with a whole closing
/// handshake (1001), not with TCP cut under it, and the server's actors stop after them.</summary>
public sealed class ServerStopTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stopping_the_server_closes_every_connection_cleanly_with_1001_before_the_server_actor_stops()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(), UniqueName.For("stopping"));
        var apps = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToArray();
        foreach (var app in apps)
        {
            WebSocketClient.Connect(Sys, server.Uri, app.Ref, TestSettings.Create(), UniqueName.For("client"));
            app.ExpectMsg<Opened>(Wait);
        }
        Watch(server.Actor);

        await server.StopAsync();

        foreach (var app in apps)
        {
            var closed = app.ExpectMsg<Closed>(Wait);
            Assert.Equal((CloseCodes.GoingAway, true), (closed.Code, closed.WasClean));
        }
        ExpectTerminated(server.Actor, Wait);
    }
}
