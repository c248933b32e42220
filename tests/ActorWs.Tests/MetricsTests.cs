using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The meter ActorWs counts what a connection does. Other tests run connections at the same time
/// in this process, so each count is checked to have grown by at least this test's share.
/// </summary>
public sealed class MetricsTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public MetricsTests(ITestOutputHelper output) : base(AkkaConfig.Patient, output: output) => _output = output;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_conversation_is_counted_in_handshakes_messages_bytes_open_connections_and_closes_by_code()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WebSocketMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name + string.Concat(tags.ToArray().OrderBy(t => t.Key).Select(t => $" {t.Key}={t.Value}"));
            counts.AddOrUpdate(key, value, (_, sum) => sum + value);
        });
        listener.Start();

        var refusing = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(), UniqueName.For("metrics-refusing"),
            UpgradeDecider.FromFunction(_ => new UpgradeDecision.Reject(401, "no")));
        WebSocketClient.Connect(Sys, refusing.Uri, TestActor, TestSettings.Create(), UniqueName.For("refused"));
        ExpectMsg<Closed>(Wait);

        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(), UniqueName.For("metrics"));
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, TestSettings.Create(), UniqueName.For("metrics-client"));
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        Assert.True(Count("actorws.connections.open role=server") >= 1);
        connection.Tell(new SendText("héllo"));            // 6 bytes of UTF-8
        app.ExpectMsg<TextReceived>(Wait);
        connection.Tell(new SendBinary(new byte[100]));
        app.ExpectMsg<BinaryReceived>(Wait);
        connection.Tell(new Close(CloseCodes.NormalClosure));
        app.ExpectMsg<Closed>(Wait);
        AwaitCondition(() => Count("actorws.closes code=1000 role=server") >= 1);

        foreach (var role in new[] { "server", "client" })
        {
            Assert.True(Count($"actorws.messages.sent role={role}") >= 2);
            Assert.True(Count($"actorws.messages.received role={role}") >= 2);
            Assert.True(Count($"actorws.bytes.sent role={role}") >= 106);
            Assert.True(Count($"actorws.bytes.received role={role}") >= 106);
            Assert.True(Count($"actorws.handshakes outcome=accepted role={role} status=101") >= 1);
        }
        Assert.True(Count("actorws.handshakes outcome=refused role=server status=401") >= 1);
        Assert.True(Count("actorws.handshakes outcome=failed role=client status=401") >= 1);
        Assert.True(Count("actorws.closes code=1000 role=client") >= 1);
        foreach (var (key, value) in counts.OrderBy(c => c.Key))
            _output.WriteLine($"{key}: {value}");

        long Count(string key) => counts.GetValueOrDefault(key);
    }
}
