using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary><see cref="SupervisionTests"/> at actor level, with a probe for TCP: whatever way the handler goes, the connection
/// closes (1011 for a failure, 1001 for a handler that stopped) and its whole tree stops.</summary>
public sealed class HandlerLossTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    [Theory]
    [InlineData("throw", CloseCodes.InternalError)]
    [InlineData("stop", CloseCodes.GoingAway)]
    public void Handler_that_goes_away_closes_the_connection_and_the_tree_stops(string command, ushort code)
    {
        var observer = CreateTestProbe();
        var c = new ProbeConnection(this, TestSettings.Create(), handler: EchoHandler.Props(observer.Ref));
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        c.Tcp.ExpectMsg<Akka.IO.Tcp.Write>();
        observer.ExpectMsg<Opened>();
        var tree = new[] { "writer" }.Select(c.Child).Append(c.Connection).ToList();
        c.Receive(Wire.Frame(Opcode.Text, Wire.Utf8(command), masked: true));
        Assert.Equal(code, c.ExpectFrame().CloseCode);
        tree.Add(c.Child("reader")); // started by the frame
        tree.Add(c.Child("close")); // started when the handler's end began the closing handshake
        foreach (var actor in tree)
            Watch(actor);
        c.Receive(Wire.Frame(Opcode.Close, Wire.ClosePayload(code), masked: true));
        c.Tcp.ExpectMsg<Akka.IO.Tcp.Close>();
        c.Connection.Tell(Akka.IO.Tcp.Closed.Instance, c.Tcp.Ref);
        var gone = new HashSet<IActorRef>();
        for (int i = 0; i < tree.Count; i++)
            gone.Add(ExpectMsg<Terminated>().ActorRef);
        Assert.Equal(tree.ToHashSet(), gone);
    }
}
