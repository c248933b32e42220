using System.Net;
using System.Net.WebSockets;
using System.Text;
using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>.NET's <see cref="ClientWebSocket"/> against the ActorWs server at the application's door:
/// its request header and subprotocol reach the decider, and its refusal reaches the client.</summary>
public sealed class ClientWebSocketToActorWsServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>A door that wants the bearer token "t" (401 with a challenge otherwise) and chooses
    /// itself among the offered subprotocols, rather than by <c>actorws.subprotocols</c>.</summary>
    private static readonly UpgradeDecider BearerDoor = UpgradeDecider.FromFunction(request =>
        request.Http.Headers["Authorization"] == "Bearer t"
            ? new UpgradeDecision.Accept(request.Http.Subprotocols.FirstOrDefault(p => p is "b" or "c"), State: "user t")
            : new UpgradeDecision.Reject(401, "bad token", [new("WWW-Authenticate", "Bearer realm=\"interop\"")], "a valid bearer token is needed"));

    private static ClientWebSocket Client(string token)
    {
        var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("b");
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        // Keeps the refusal's status and headers on the socket, where the test reads them.
        ws.Options.CollectHttpResponseDetails = true;
        return ws;
    }

    [Fact]
    public Task ClientWebSocket_with_the_right_token_gets_the_subprotocol_the_decider_chose() => ServerInterop.WithServerAsync(async (server, events) =>
    {
        using var ws = Client("t");
        using var cts = new CancellationTokenSource(Timeout);
        await ws.ConnectAsync(server.Uri, cts.Token);
        Assert.Equal((HttpStatusCode.SwitchingProtocols, "b"), (ws.HttpStatusCode, ws.SubProtocol));
        var opened = await events.NextAsync<Opened>(Timeout);
        Assert.Equal(("b", "user t"), (opened.Subprotocol, opened.State));

        // The connection the door let in carries messages and closes cleanly.
        await ws.SendAsync("through the door"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[64];
        var received = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("through the door", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        var closed = await events.NextAsync<Closed>(Timeout);
        Assert.True(closed is { Code: 1000, WasClean: true }, $"the ActorWs handler heard {closed}");
    }, decider: BearerDoor);

    [Fact]
    public Task ClientWebSocket_with_a_wrong_token_fails_to_connect_and_sees_the_401() => ServerInterop.WithServerAsync(async (server, _) =>
    {
        using var ws = Client("wrong");
        using var cts = new CancellationTokenSource(Timeout);
        var e = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(server.Uri, cts.Token));
        Assert.True(ws.HttpStatusCode == HttpStatusCode.Unauthorized, $"ClientWebSocket saw status {ws.HttpStatusCode}: {e.Message}");
        Assert.Equal(["Bearer realm=\"interop\""], ws.HttpResponseHeaders!["WWW-Authenticate"]);
    }, decider: BearerDoor);
}
