using System.Globalization;
using System.Text.RegularExpressions;
using ActorWs.Demo;

namespace ActorWs.Demo.Tests;

/// <summary>
/// The console log as a person reads it: each scenario run as the demo runs it (the server here, the
/// client as a second process whose lines the first prints), and its printed output checked for cause
/// and effect — every received line after the line that sent it, every explanation before the action
/// it explains. The checks read the order of the lines, never how long anything took.
/// </summary>
public sealed partial class DemoConsoleOrderTests
{
    private sealed record Line(int Index, TimeSpan Time, string Side, string Arrow, string Tag, string Text)
    {
        public bool Is(string side, string arrow, string tag, string fragment) =>
            Side == side && Arrow == arrow.Trim() && Tag == tag && Text.Contains(fragment, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\[(\d\d):(\d\d):(\d\d)\.(\d\d\d)\] (SERVER|CLIENT|DEMO  ) (->|<-|· |! ) \[([A-Z]+)\] (.*)$")]
    private static partial Regex LogLine();

    private static List<Line> Parse(string output) =>
        output.Split('\n').Select(l => LogLine().Match(l.TrimEnd('\r'))).Where(m => m.Success).Select((m, i) => new Line(i,
            new TimeSpan(0, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)),
            m.Groups[5].Value.Trim(), m.Groups[6].Value.Trim(), m.Groups[7].Value, m.Groups[8].Value)).ToList();

    private static async Task<string> RunDemo(string scenario)
    {
        var config = Path.GetTempFileName();
        // Short timings; abnormal-kill keeps a second between the client's messages, so that none is
        // on the wire while the demo kills the client process just after a message's frame line.
        await File.WriteAllTextAsync(config, scenario == "abnormal-kill"
            ? "demo { server-interval = 700ms, close-delay = 50ms }\nactorws.keep-alive.ping-interval = 300ms"
            : "demo { client-interval = 150ms, server-interval = 200ms, close-delay = 50ms }\nactorws.keep-alive.ping-interval = 120ms");
        using var demo = ProgramProcess.Start(typeof(DemoRunner).Assembly.Location,
            "--scenario", scenario, "--port", FreePort().ToString(CultureInfo.InvariantCulture), "--config", config);
        int exit = await demo.WaitForExitAsync();
        Assert.True(exit == 0, $"the {scenario} scenario exited with {exit}:\n{demo.Output}");
        return demo.Output;
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("abnormal")]
    [InlineData("abnormal-kill")]
    [InlineData("violation")]
    [InlineData("extras")]
    public async Task Every_received_frame_is_printed_after_the_frame_the_other_side_sent(string scenario)
    {
        var output = await RunDemo(scenario);
        var lines = Parse(output);
        Assert.True(lines.Count > 20, output);

        // Per opcode: by each received frame, the other side has printed at least as many sent frames
        // of that opcode as this side has printed received ones.
        foreach (var received in lines.Where(l => l.Arrow == "<-" && l.Tag == "FRAME"))
        {
            var opcode = Regex.Match(received.Text, @"^opcode=(\S+)").Groups[1].Value;
            var other = received.Side == "SERVER" ? "CLIENT" : "SERVER";
            int receivedSoFar = lines.Count(l => l.Index <= received.Index && l.Side == received.Side && l.Arrow == "<-" && l.Tag == "FRAME" && l.Text.StartsWith($"opcode={opcode} ", StringComparison.Ordinal));
            int sentBefore = lines.Count(l => l.Index < received.Index && l.Side == other && l.Arrow == "->" && l.Tag == "FRAME" && l.Text.StartsWith($"opcode={opcode} ", StringComparison.Ordinal));
            Assert.True(sentBefore >= receivedSoFar, $"line {received.Index} ({received.Side} <- {received.Text}) comes before {other} sent it:\n{output}");
        }
        // And each text the application received, after the line of the application that sent it.
        foreach (var received in lines.Where(l => l.Arrow == "<-" && l.Tag == "APP" && l.Text.StartsWith('\'')))
        {
            var text = received.Text[1..^1];
            Assert.True(lines.Any(l => l.Index < received.Index && l.Side != received.Side && l.Is(l.Side, "->", "APP", text)),
                $"'{text}' is received (line {received.Index}) before it is sent:\n{output}");
        }
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("abnormal")]
    [InlineData("abnormal-kill")]
    [InlineData("violation")]
    [InlineData("extras")]
    public async Task Every_explanation_is_printed_before_the_action_it_explains(string scenario)
    {
        var output = await RunDemo(scenario);
        var lines = Parse(output);

        // Each close frame ActorWs sends has its reason printed first: the application initiating the
        // close, the peer's close being answered (§5.5.1), or a child failing (the close-code policy).
        foreach (var side in new[] { "SERVER", "CLIENT" })
        {
            var closes = lines.Where(l => l.Is(side, "->", "FRAME", "opcode=CLOSE len=")).ToList();
            foreach (var close in closes)
            {
                int reasons = lines.Count(l => l.Index < close.Index && l.Side == side
                    && (l.Is(side, "->", "APP", "initiating the close") || l.Is(side, "· ", "FRAME", "received first: replying") || l.Is(side, "! ", "ACTOR", "failed:")));
                int closesSoFar = closes.Count(c => c.Index <= close.Index);
                Assert.True(reasons >= closesSoFar, $"line {close.Index}, {side}'s close frame, comes before its reason:\n{output}");
            }
        }
        // A dropped connection is announced before it is dropped.
        if (scenario == "abnormal")
            Assert.True(First(lines, "SERVER", "! ", "APP", "simulating a lost network") < First(lines, "SERVER", "! ", "TCP", "aborted by the application"), output);
        if (scenario == "abnormal-kill")
            Assert.True(First(lines, "DEMO", "! ", "TCP", "killing the client process") < First(lines, "SERVER", "! ", "TCP", "connection lost"), output);
        if (scenario == "extras")
            Assert.True(First(lines, "CLIENT", "· ", "APP", "3/3 a refused handshake") < First(lines, "SERVER", "! ", "HTTP", "-> 403 Forbidden"), output);
        // The times printed never go back: one log, in the order things happened.
        for (int i = 1; i < lines.Count; i++)
            Assert.True(lines[i].Time >= lines[i - 1].Time || lines[i - 1].Time - lines[i].Time > TimeSpan.FromHours(12),
                $"line {i} is printed after a later one:\n{output}");
    }

    private static int First(List<Line> lines, string side, string arrow, string tag, string fragment) =>
        lines.FirstOrDefault(l => l.Is(side, arrow.Trim(), tag, fragment))?.Index ?? throw new Xunit.Sdk.XunitException($"no line {side} {arrow} [{tag}] …{fragment}…");

    [Fact]
    public async Task Reference_run_names_addresses_as_IPv4_and_lists_children_in_a_fixed_order()
    {
        var output = await RunDemo("reference");
        Assert.DoesNotContain("::ffff:", output);
        Assert.Contains("CLIENT ·  [TCP] connected to 127.0.0.1:", output);
        Assert.Contains("connection tree: /user/ws-server/conn-1 with writer, handler (", output);
        Assert.Contains("connection tree: /user/ws-client/conn with writer (", output);
        // The children that start with their work: the first frame, the first ping (every 2 s in the
        // scenario), and closing.
        Assert.Contains("started /user/ws-server/conn-1/reader: the peer's first frame arrives", output);
        Assert.Contains("started /user/ws-client/conn/reader: the peer's first frame arrives", output);
        Assert.Contains("started /user/ws-server/conn-1/pinger: a keep-alive ping is due", output);
        Assert.Contains("started /user/ws-client/conn/close: the closing handshake begins", output);
        Assert.Contains("started /user/ws-server/conn-1/close: the closing handshake begins", output);
        Assert.DoesNotContain("[AKKA]", output);
    }

    [Fact]
    public async Task Client_without_a_server_says_how_to_start_one_and_stops()
    {
        using var client = ProgramProcess.Start(typeof(DemoRunner).Assembly.Location, "--role", "client", "--port", FreePort().ToString(CultureInfo.InvariantCulture));
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains($"after {ClientScenarioHandler.TriesWithoutServer} tries: giving up", client.Output);
        Assert.Contains("--role server", client.Output);
        Assert.DoesNotContain($"reconnect #{ClientScenarioHandler.TriesWithoutServer + 1} ", client.Output);
    }

    [Theory]
    [InlineData("}}} = = ;;\n", 1, "'}' closes nothing")]
    [InlineData("demo {\n  port = 9000\n", 1, "'{' is never closed")]
    [InlineData("demo {\n  port = = 9000\n}\n", 2, "'=' with no key before it")]
    [InlineData("demo {\n  host = \"127.0.0.1\n}\n", 2, "a string that never ends (a missing '\"')")]
    [InlineData("a = [1, 2}\n", 1, "'}' does not close the '[' of line 1")]
    public async Task Config_file_that_is_not_HOCON_is_one_error_naming_the_line(string text, int line, string message)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, text);
        var options = DemoOptions.Parse(["--config", file]);
        var e = Assert.Throws<UsageException>(() => options.LoadConfig());
        Assert.Equal($"config file '{file}' line {line}: {message}", e.Message);
    }

    [Fact]
    public void Config_files_of_the_repository_pass_the_check()
    {
        Assert.Null(HoconCheck.FirstError(File.ReadAllText(Repository.PathOf("config/demo.hocon"))));
        Assert.Null(HoconCheck.FirstError(File.ReadAllText(Repository.PathOf("config/actorws.hocon"))));
        Assert.Null(HoconCheck.FirstError("a = \"x}\" # a comment with { and =\nb { c = \"\"\"tri\"ple{\"\"\" }\nurl = \"ws://h:1/\"\n"));
    }

    [Fact]
    public void Timeline_holds_a_line_until_every_source_has_caught_up_with_it()
    {
        var printed = new List<string>();
        var timeline = new Timeline(l => printed.Add(l.Text));
        int server = timeline.AddSource(), client = timeline.AddSource();
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        timeline.Add(new DemoLine(t0.AddMilliseconds(5), "SERVER <- received", true, false));
        timeline.Advance(server, t0.AddMilliseconds(10));
        Assert.Empty(printed); // the client may still have older lines on their way
        timeline.Add(new DemoLine(t0.AddMilliseconds(2), "CLIENT -> sent", false, false));
        timeline.Advance(client, t0.AddMilliseconds(3));
        Assert.Equal(["CLIENT -> sent"], printed);
        timeline.RemoveSource(client);
        Assert.Equal(["CLIENT -> sent", "SERVER <- received"], printed);
    }

    [Fact]
    public void Relayed_lines_keep_their_time_side_and_text()
    {
        var time = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var parsed = DemoConsole.ParseRelay($"{DemoConsole.RelayPrefix}{time.Ticks} c e [12:00:00.000] CLIENT !  [TCP] x y");
        Assert.Equal(new DemoLine(time, "[12:00:00.000] CLIENT !  [TCP] x y", false, true), parsed?.Line);
        Assert.Equal(time, DemoConsole.ParseRelay($"{DemoConsole.RelayPrefix}{time.Ticks} w")?.Time);
        Assert.Null(DemoConsole.ParseRelay("error: something"));
    }

    [Fact]
    public void IPv4_mapped_addresses_are_printed_as_IPv4()
    {
        var mapped = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("::ffff:127.0.0.1"), 8765);
        Assert.Equal("127.0.0.1:8765", Logging.LifecycleEvent.Address(mapped));
        Assert.Equal("[::1]:8765", Logging.LifecycleEvent.Address(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 8765)));
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
