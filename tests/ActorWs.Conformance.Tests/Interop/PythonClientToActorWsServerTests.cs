using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Python "websockets" clients against the ActorWs server, one case of the peer's list each
/// (see <see cref="ServerInterop"/>), and at the application's door: the subprotocol and the headers.</summary>
public sealed class PythonClientToActorWsServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Cases => ServerInterop.Cases();

    [Theory, MemberData(nameof(Cases))]
    public Task PythonWebsocketsClient_to_ActorWsServer(string @case) => ServerInterop.RunCaseAsync(PeerKind.Python, @case);

    [Fact]
    public Task Python_client_gets_the_subprotocol_it_prefers_among_those_the_server_speaks() => ServerInterop.WithServerAsync(PeerKind.Python, async (server, events) =>
    {
        // The server would rather speak superchat, but §4.2.2 picks by the client's order: of the
        // offered ones it speaks, chat comes first.
        var note = await ServerInterop.RunPeerCaseAsync(PeerKind.Python, server, "handshake",
            "--subprotocol", "x-unknown", "--subprotocol", "chat", "--subprotocol", "superchat");
        Assert.Equal("subprotocol='chat'", note);
        var opened = await events.NextAsync<Opened>(Timeout);
        Assert.Equal("chat", opened.Subprotocol);
        Assert.Equal(["x-unknown", "chat", "superchat"], opened.Request!.Subprotocols);
    }, ServerInterop.Settings("actorws.subprotocols = [superchat, chat]"));

    [Fact]
    public Task A_header_the_Python_client_adds_reaches_the_servers_decider() => ServerInterop.WithServerAsync(PeerKind.Python, async (server, events) =>
    {
        await ServerInterop.RunPeerCaseAsync(PeerKind.Python, server, "handshake", "--header", "X-Interop-Token: py-7f3a");
        // The decider handed on what it saw as the connection's state.
        var opened = await events.NextAsync<Opened>(Timeout);
        Assert.Equal("py-7f3a", opened.State);
    }, decider: UpgradeDecider.FromFunction(request => new UpgradeDecision.Accept(State: request.Http.Headers["X-Interop-Token"])));
}
