using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Node "ws" clients against the ActorWs server, one case of the peer's list each (see
/// <see cref="ServerInterop"/>), and at the application's door: the subprotocol and a refusal.</summary>
public sealed class NodeClientToActorWsServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Cases => ServerInterop.Cases();

    [Theory, MemberData(nameof(Cases))]
    public Task NodeWsClient_to_ActorWsServer(string @case) => ServerInterop.RunCaseAsync(PeerKind.Node, @case);

    [Fact]
    public Task Node_client_gets_the_subprotocol_the_server_chose_among_those_it_offered() => ServerInterop.WithServerAsync(PeerKind.Node, async (server, events) =>
    {
        // The client's first choice is one the server does not speak: it gets its second.
        var note = await ServerInterop.RunPeerCaseAsync(PeerKind.Node, server, "handshake",
            "--subprotocol", "chat.v2", "--subprotocol", "chat.v1");
        Assert.Equal("subprotocol='chat.v1'", note);
        Assert.Equal("chat.v1", (await events.NextAsync<Opened>(Timeout)).Subprotocol);
    }, ServerInterop.Settings("actorws.subprotocols = [\"chat.v1\", \"chat.v0\"]"));

    [Fact]
    public Task Node_client_refused_by_the_decider_gets_the_401_with_its_header_and_body() => ServerInterop.WithServerAsync(PeerKind.Node, async (server, _) =>
    {
        var note = await ServerInterop.RunPeerCaseAsync(PeerKind.Node, server, "refused", "--header", "Authorization: Bearer wrong");
        Assert.Equal("status=401 www-authenticate='Bearer realm=\"interop\"' body='a valid bearer token is needed'", note);
    }, decider: UpgradeDecider.FromFunction(request => request.Http.Headers["Authorization"] == "Bearer right"
        ? new UpgradeDecision.Accept()
        : new UpgradeDecision.Reject(401, "bad token", [new("WWW-Authenticate", "Bearer realm=\"interop\"")], "a valid bearer token is needed")));
}
