namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Python "websockets" clients against the ActorWs server, one case of the peer's list each (see <see cref="ServerInterop"/>).</summary>
public sealed class PythonClientToActorWsServerTests
{
    public static TheoryData<string> Cases => ServerInterop.Cases();

    [Theory, MemberData(nameof(Cases))]
    public Task PythonWebsocketsClient_to_ActorWsServer(string @case) => ServerInterop.RunCaseAsync(PeerKind.Python, @case);
}
