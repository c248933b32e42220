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
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Repository.PathOf("tests/interop/web-demo.js"), $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/", screenshot })
            info.ArgumentList.Add(a);
        using var node = Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var report = await output + await errors;

        Assert.True(node.ExitCode == 0, $"{report}\nthe server's log:\n{web.Output}");
        foreach (var lesson in Lessons)
            Assert.Contains($"PASS {lesson}", report);
        Assert.True(File.Exists(screenshot), report);
        // The page's feed is the console's events: the lessons' lines are in the console too, and
        // the feed's own connection is in neither (its frames would feed themselves).
        Assert.Contains("SERVER !  [ACTOR] child 'pinger' failed: KeepAliveTimeoutException", web.Output);
        Assert.Contains("SERVER <- [APP] 'hello, fragmented world'", web.Output);
        Assert.DoesNotContain("\"type\":\"event\"", web.Output);
    }
}
