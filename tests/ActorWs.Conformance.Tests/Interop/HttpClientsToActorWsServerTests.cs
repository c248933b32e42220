using System.Net;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>
/// Plain HTTP clients — .NET's <see cref="HttpClient"/>, and curl where it is installed — at the door
/// of an ActorWs server whose decider answers <c>GET /healthz</c> itself (a load balancer's health
/// check on the WebSocket port).
/// </summary>
public sealed class HttpClientsToActorWsServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly UpgradeDecider HealthDoor = UpgradeDecider.FromFunction(request =>
        request.IsUpgrade ? new UpgradeDecision.Accept()
        : request.Http.Path == "/healthz" ? new UpgradeDecision.Respond(200, "healthy", "text/plain; charset=utf-8")
        : new UpgradeDecision.Respond(404, "not found"));

    private static Uri HealthUri(WebSocketServer server) => new($"http://{server.Endpoint}/healthz");

    [Fact]
    public Task HttpClient_GET_healthz_gets_the_deciders_answer() => ServerInterop.WithServerAsync(async (server, _) =>
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await http.GetAsync(HealthUri(server), cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("healthy", await response.Content.ReadAsStringAsync(cts.Token));
    }, decider: HealthDoor);

    [Fact]
    public Task HttpClient_HEAD_healthz_gets_the_head_of_the_GET_and_no_body() => ServerInterop.WithServerAsync(async (server, _) =>
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, HealthUri(server)), cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The GET's Content-Length (RFC 9110 §9.3.2), with none of its bytes.
        Assert.Equal(7, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(cts.Token));
    }, decider: HealthDoor);

    [CurlFact]
    public Task Curl_GET_healthz_gets_the_deciders_answer() => ServerInterop.WithServerAsync(async (server, _) =>
    {
        var result = await PeerProcess.RunClient(PeerKind.Curl, HealthUri(server).ToString(), Timeout,
            extraArguments: ["--silent", "--show-error", "--include"]);
        Assert.True(result is { ExitCode: 0, TimedOut: false }, result.ToString());
        var lines = result.Output.Split('\n');
        Assert.Equal("HTTP/1.1 200 OK", lines[0]);
        Assert.Contains("Content-Type: text/plain; charset=utf-8", lines, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("healthy", lines[^1]);
    }, decider: HealthDoor);

    [CurlFact]
    public Task Curl_HEAD_healthz_gets_the_head_of_the_GET() => ServerInterop.WithServerAsync(async (server, _) =>
    {
        var result = await PeerProcess.RunClient(PeerKind.Curl, HealthUri(server).ToString(), Timeout,
            extraArguments: ["--silent", "--show-error", "--head"]);
        Assert.True(result is { ExitCode: 0, TimedOut: false }, result.ToString());
        var lines = result.Output.Split('\n');
        Assert.Equal("HTTP/1.1 200 OK", lines[0]);
        Assert.Contains("Content-Length: 7", lines, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("healthy", lines);
    }, decider: HealthDoor);

    /// <summary>A fact that is skipped where curl is not installed (.ci/install-peers.sh does not
    /// install it, and <see cref="HttpClient"/> checks the same answers).</summary>
    private sealed class CurlFactAttribute : FactAttribute
    {
        public CurlFactAttribute()
        {
            if (PeerProcess.Unavailable(PeerKind.Curl) is { } why)
                Skip = why;
        }
    }
}
