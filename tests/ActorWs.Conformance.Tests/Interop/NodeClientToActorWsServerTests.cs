namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Node "ws" clients against the ActorWs server, one case of the peer's list each (see <see cref="ServerInterop"/>).</summary>
public sealed class NodeClientToActorWsServerTests
{
    public static TheoryData<string> Cases => ServerInterop.Cases();

    [Theory, MemberData(nameof(Cases))]
    public Task NodeWsClient_to_ActorWsServer(string @case) => ServerInterop.RunCaseAsync(PeerKind.Node, @case);
}
