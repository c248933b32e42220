using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Headless Chromium against the ActorWs server: one run of examples/echo.html's cases, and
/// a page the server's own door serves opening a socket with subprotocols.</summary>
public sealed class ChromiumClientToActorWsServerTests
{
    private static readonly string[] BrowserCases =
    [
        "text-ascii", "text-utf8", "binary-256",
        "size-0", "size-125", "size-126", "size-65535", "size-65536", "size-1MiB",
        "compression", "close-by-client", "close-by-server",
    ];

    [Fact]
    public Task HeadlessChromium_echo_page_to_ActorWsServer() => ServerInterop.WithServerAsync(PeerKind.Browser, async (server, _) =>
    {
        var result = await PeerProcess.RunClient(PeerKind.Browser, server.Uri.ToString(), TimeSpan.FromSeconds(90));
        Assert.True(result.Succeeded, $"headless Chromium against the ActorWs server:\n{result}");
        var missing = BrowserCases.Where(c => !result.Passed(c)).ToArray();
        Assert.True(missing.Length == 0, $"cases that did not pass: {string.Join(", ", missing)}\n{result}");
        // "fragmented-receive" is not applicable (see ServerInterop) and not counted here.
        Assert.Contains(result.PassLines, l => l.StartsWith("PASS close-by-client (observed 4000", StringComparison.Ordinal));
        // Chromium offers "permessage-deflate; client_max_window_bits"; the server says its compressor resets per
        // message and asks Chromium's to (RFC 7692 §7.1.1), so the idle connection keeps no zlib state.
        Assert.Contains(result.PassLines, l => l.StartsWith("PASS compression (extensions='permessage-deflate; server_no_context_takeover; client_no_context_takeover'", StringComparison.Ordinal));
        Assert.Contains(result.PassLines, l => l.StartsWith("PASS close-by-server (observed 4001 'bye-server' wasClean=true", StringComparison.Ordinal));
    });

    /// <summary>
    /// The door of a server that serves its own page: plain GET / gets the page and a session cookie;
    /// an upgrade is accepted only from that page's origin (the check RFC 6455 §10.2 leaves to the
    /// server) and with the cookie, else 403.
    /// </summary>
    private static readonly UpgradeDecider PageAndSocketDoor = UpgradeDecider.FromFunction(request =>
    {
        var http = request.Http;
        if (!request.IsUpgrade)
            return http.Path == "/"
                ? new UpgradeDecision.Respond(200, "<!doctype html><title>door</title>", "text/html; charset=utf-8",
                    [new("Set-Cookie", "session=chromium-42; Path=/; SameSite=Strict")])
                : new UpgradeDecision.Respond(404, "not found");
        return http.Origin == $"http://{http.Host}" && http.Cookies["session"] == "chromium-42"
            ? new UpgradeDecision.Accept()
            : new UpgradeDecision.Reject(403, $"origin {http.Origin} refused, or no session cookie"); // the cookie's value stays out of the log
    });

    [Fact]
    public Task Chromium_sees_the_subprotocol_the_server_chose_and_sends_its_pages_origin_and_cookie() => ServerInterop.WithServerAsync(PeerKind.Browser, async (server, events) =>
    {
        var note = await ServerInterop.RunPeerCaseAsync(PeerKind.Browser, server, "handshake", "--subprotocol", "a", "--subprotocol", "b");
        Assert.StartsWith("subprotocol='b' ", note);
        var opened = await events.NextAsync<Opened>(TimeSpan.FromSeconds(30));
        Assert.Equal("b", opened.Subprotocol);
        Assert.Equal($"http://{server.Endpoint}", opened.Request!.Origin);
        Assert.Equal("chromium-42", opened.Request.Cookies["session"]);
    }, ServerInterop.Settings("actorws.subprotocols = [b, c]"), PageAndSocketDoor);
}
