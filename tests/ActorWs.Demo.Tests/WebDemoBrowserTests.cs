using System.Diagnostics;
using System.Globalization;

namespace ActorWs.Demo.Tests;

/// <summary>
/// The web verb's page in headless Chromium (playwright-core, as the interop tests drive it;
/// installed by .ci/install-peers.sh): tests/interop/web-demo.js opens the page, reaches its first
/// control with the keyboard, checks the contrast of its text, connects, sends, sees each echo,
/// triggers each fault and waits for the close code and the change in the actor tree the page shows.
/// It saves a screenshot in the temp directory (docs/web-demo.png is one such, committed).
/// </summary>
public sealed class WebDemoBrowserTests
{
    private static readonly string[] Lessons =
    [
        "offline", "keyboard", "contrast", "open-tree", "echo-text", "echo-binary", "ping", "close-with-code",
        "cut-tcp", "handler-throws", "fragmented", "unmasked-1002", "invalid-utf8-1007", "unknown-opcode-1002",
        "no-pong-1011", "reconnect-timer", "refused-handshake",
    ];

    [Fact]
    public async Task Page_shows_each_lesson_with_its_close_code_and_tree_change_and_is_usable_by_keyboard()
    {
        // Pings and their timeout shortened, so the no-pong lesson ends within seconds.
        var config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, "actorws.keep-alive { ping-interval = 1s, pong-timeout = 1s }\n");
        using var web = ProgramProcess.Start(typeof(DemoRunner).Assembly.Location, "web", "--port", "0", "--config", config);
        int port = await web.ListeningPortAsync();
        Assert.Contains($"open http://127.0.0.1:{port}/ in a browser", web.Output);

        var screenshot = Path.Combine(Path.GetTempPath(), "actorws-web-demo.png");
        var (exit, report) = await Node("tests/interop/web-demo.js", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/", screenshot);

        Assert.True(exit == 0, $"{report}\nthe server's log:\n{web.Output}");
        foreach (var lesson in Lessons)
            Assert.Contains($"PASS {lesson}", report);
        Assert.True(File.Exists(screenshot), report);
        // The page's feed is the console's events: the lessons' lines are in the console too, and
        // the feed's own connection is in neither (its frames would feed themselves).
        Assert.Contains("SERVER !  [ACTOR] child 'pinger' failed: KeepAliveTimeoutException", web.Output);
        Assert.Contains("SERVER <- [APP] 'hello, fragmented world'", web.Output);
        Assert.DoesNotContain("\"type\":\"event\"", web.Output);
    }

    [Fact]
    public async Task Echo_page_passes_against_serve_and_skips_the_cases_that_need_commands()
    {
        using var serve = ProgramProcess.Start(typeof(DemoRunner).Assembly.Location, "serve", "--port", "0", "--quiet");
        int port = await serve.ListeningPortAsync();
        var (exit, report) = await Node("tests/interop/browser-client.js", $"ws://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/", "--no-commands");
        Assert.True(exit == 0, report);
        // The page's cases include "compression": the demo's serve accepts Chromium's permessage-deflate offer.
        Assert.Contains("DONE passed=11 failed=0", report);
        Assert.Contains("PASS compression (extensions='permessage-deflate; server_no_context_takeover; client_no_context_takeover')", report);
    }

    private static async Task<(int Exit, string Output)> Node(string script, params string[] args)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Repository.PathOf(script));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var node = Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (node.ExitCode, await output + await errors);
    }
}
