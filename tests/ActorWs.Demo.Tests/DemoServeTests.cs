using System.Net;
using ActorWs.Demo;

namespace ActorWs.Demo.Tests;

/// <summary>
/// <c>serve</c> and <c>connect</c> as a person runs them: each a process started by the test, which
/// waits for the lines they print (LISTENING, opened, the echo), never for time to pass.
/// </summary>
public sealed class DemoServeTests
{
    private static string DemoDll => typeof(DemoRunner).Assembly.Location;

    [Fact]
    public async Task Serve_and_connect_agree_on_the_subprotocol_both_name()
    {
        using var server = ProgramProcess.Start(DemoDll, "serve", "--port", "0", "--quiet", "--subprotocol", "superchat", "--subprotocol", "chat");
        int port = await server.ListeningPortAsync();

        // The client prefers chat; the server speaks it too, so chat it is (RFC 6455 §4.2.2).
        using var client = ProgramProcess.Start(DemoDll, "connect", $"ws://127.0.0.1:{port}/", "--subprotocol", "chat", "--subprotocol", "other");
        await client.WaitForLineAsync("opened with subprotocol chat");
        await client.Input.WriteLineAsync("hello over chat");
        await client.Input.FlushAsync();
        await client.WaitForLineAsync("< hello over chat");
        client.Input.Close();

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains("closed: Closed(1000", client.Output);
    }

    [Fact]
    public async Task Connect_without_a_common_subprotocol_opens_with_none()
    {
        using var server = ProgramProcess.Start(DemoDll, "serve", "--port", "0", "--quiet", "--subprotocol", "chat");
        int port = await server.ListeningPortAsync();

        using var client = ProgramProcess.Start(DemoDll, "connect", $"ws://127.0.0.1:{port}/");
        await client.WaitForLineAsync("opened (no subprotocol)");
        client.Input.Close();

        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Serve_answers_healthz_with_200_ok_and_other_plain_requests_with_426()
    {
        using var server = ProgramProcess.Start(DemoDll, "serve", "--port", "0", "--quiet");
        int port = await server.ListeningPortAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = ProgramProcess.Limit };

        using var health = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok\n", await health.Content.ReadAsStringAsync());

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "healthz"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(3, head.Content.Headers.ContentLength);

        using var page = await http.GetAsync("index.html");
        Assert.Equal(HttpStatusCode.UpgradeRequired, page.StatusCode);
        Assert.Equal("websocket", Assert.Single(page.Headers.Upgrade).Name);
    }

    [Fact]
    public async Task Serve_answers_stats_with_its_allocated_bytes_which_only_grow()
    {
        using var server = ProgramProcess.Start(DemoDll, "serve", "--port", "0", "--quiet");
        int port = await server.ListeningPortAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = ProgramProcess.Limit };

        static long Allocated(string stats) =>
            long.Parse(stats.Split('\n').Single(l => l.StartsWith("allocated_bytes ")).Split(' ')[1]);
        long first = Allocated(await http.GetStringAsync("stats"));
        long second = Allocated(await http.GetStringAsync("stats"));

        Assert.True(first > 0);
        Assert.True(second > first, $"{second} after {first}: answering the first request allocated");
    }

    [Fact]
    public async Task Malformed_header_is_a_one_line_usage_error_with_exit_code_2()
    {
        using var client = ProgramProcess.Start(DemoDll, "connect", "ws://127.0.0.1:9/", "--header", "Authorization Bearer x");

        Assert.Equal(2, await client.WaitForExitAsync());
        var line = Assert.Single(client.Output.Split('\n'));
        Assert.StartsWith("error: --header 'Authorization Bearer x'", line);
    }
}
