namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Headless Chromium running examples/echo.html against the ActorWs server: one run of the page's cases.</summary>
public sealed class ChromiumClientToActorWsServerTests
{
    private static readonly string[] BrowserCases =
    [
        "text-ascii", "text-utf8", "binary-256",
        "size-0", "size-125", "size-126", "size-65535", "size-65536", "size-1MiB",
        "close-by-client", "close-by-server",
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
        Assert.Contains(result.PassLines, l => l.StartsWith("PASS close-by-server (observed 4001 'bye-server' wasClean=true", StringComparison.Ordinal));
    });
}
