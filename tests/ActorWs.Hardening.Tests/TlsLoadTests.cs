using System.Diagnostics;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// wss:// under load: 1,000 concurrent TLS connections of our client to our server, each echoing 100
/// messages, nothing lost; and what an idle TLS connection costs the server next to a plain one,
/// measured with the server and the clients in processes of their own (this one's RSS carries what
/// the tests before it left).
/// </summary>
public sealed class TlsLoadTests(ITestOutputHelper output) : HardeningKit(output)
{
    private const int Connections = 1000, Messages = 100;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    /// <summary>Sends its messages at once (the writer queues them) and checks each echo against the
    /// next expected one; closes after the last; reports null, or what went wrong.</summary>
    private sealed class TlsEchoClient : ReceiveActor
    {
        public TlsEchoClient(int id, TaskCompletionSource<string?> done)
        {
            IActorRef connection = ActorRefs.Nobody;
            int received = 0;
            // Sizes from 1 byte to 3 KiB: one record or several, alone or coalesced with others.
            string Message(int i) => $"{id}:{i}:" + new string((char)('a' + i % 26), i * 31 % 3000);
            Receive<Opened>(o =>
            {
                connection = o.Connection;
                for (int i = 0; i < Messages; i++)
                    connection.Tell(new SendText(Message(i)));
            });
            Receive<TextReceived>(t =>
            {
                if (t.Text != Message(received))
                    done.TrySetResult($"connection {id}: echo {received} was '{t.Text[..Math.Min(20, t.Text.Length)]}…'");
                if (++received == Messages)
                    connection.Tell(new Close());
            });
            Receive<Closed>(c => done.TrySetResult(received == Messages && c.WasClean ? null : $"connection {id}: {received} of {Messages} echoes, then {c}"));
            ReceiveAny(_ => { });
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_TLS_connections_each_echo_a_hundred_messages_and_nothing_is_lost()
    {
        CaptureErrors();
        var counts = new HandlerCounts();
        // The TLS handshakes of 1,000 connections at once share two loaded cores: no timeout may end
        // one that is merely waiting for its turn.
        const string patient = "actorws.handshake.timeout = 300s\nactorws.reconnect.connect-timeout = 300s";
        var settings = TestSettings.Create(patient) with { Tls = TestCertificates.Server(TestCertificates.Shared.Localhost) };
        var server = await StartServerAsync(settings, handler: CountingEchoHandler.Props(counts));
        var clientSettings = TestSettings.Create(patient);
        var options = new WebSocketClientOptions { Tls = TestCertificates.Shared.TrustingCa };
        var uri = new Uri($"wss://localhost:{server.Endpoint.Port}/");

        var watch = Stopwatch.StartNew();
        var done = new List<Task<string?>>();
        for (int i = 0; i < Connections; i++)
        {
            var tcs = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            done.Add(tcs.Task);
            int id = i;
            var handler = Sys.ActorOf(Props.Create(() => new TlsEchoClient(id, tcs)));
            WebSocketClient.Connect(Sys, uri, handler, clientSettings, UniqueName.For("wss-client"), options);
        }
        var results = await Task.WhenAll(done).WaitAsync(Generous);
        Out.WriteLine($"{Connections} TLS connections x {Messages} echoes in {watch.Elapsed.TotalSeconds:0.0} s");

        var failures = results.Where(r => r is not null).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} connections failed, e.g. {failures.FirstOrDefault()}");
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(120));
        Assert.Equal(Connections, counts.Opened);
        Assert.Equal(Connections, counts.Closed);
        Assert.Equal(0, counts.Unclean);
        await AwaitOnlyTheListenerAsync(server, TimeSpan.FromSeconds(120));
        Assert.Empty(Errors);
    }

    [Fact]
    public async Task An_idle_TLS_connection_costs_the_server_a_measured_amount_more_than_a_plain_one()
    {
        // Both sides out of this process: the demo's echo server (fresh for each measurement) and
        // bench/ActorWs.Load's idle mode, which reads the server's VmRSS before and after opening the
        // connections (as bench/run.sh's scenarios 4 and 8 do), then echoes a message on each.
        var (cert, key) = TestCertificates.Shared.WritePem(TestCertificates.Shared.Localhost, "idle-server");
        var plain = await MeasureAsync([], "ws");
        var tls = await MeasureAsync(["--tls-cert", cert, "--tls-key", key], "wss");
        Out.WriteLine($"server RSS per idle connection ({Connections} connections, server and clients in processes of their own): " +
            $"plain {plain:0.0} KiB, TLS {tls:0.0} KiB, TLS costs {tls - plain:0.0} KiB more");
        // Bounds that only a leak or a buffer held per connection would break: the measurement itself is the result.
        Assert.InRange(plain, 0, 200);
        Assert.InRange(tls, 0, 400);
    }

    /// <summary>The server's RSS growth per idle connection, from the load tool's RESULT line.</summary>
    private async Task<double> MeasureAsync(string[] serverTls, string scheme)
    {
        var serve = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { BuildOutput.DemoDll(), "serve", "--port", "0", "--quiet" }.Concat(serverTls))
            serve.ArgumentList.Add(arg);
        using var server = Process.Start(serve)!;
        try
        {
            _ = server.StandardError.ReadToEndAsync();
            string? line;
            while ((line = await server.StandardOutput.ReadLineAsync().WaitAsync(Generous)) is not null && !line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
            }
            Assert.True(line is not null, "the demo server exited before it listened");
            int port = int.Parse(line!.Split(' ')[1]);

            var load = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { BuildOutput.LoadToolDll(), "idle", "--url", $"{scheme}://127.0.0.1:{port}/", "--connections", $"{Connections}",
                         "--pid", $"{server.Id}", "--settle", "2", "--timeout", "120" })
                load.ArgumentList.Add(arg);
            using var tool = Process.Start(load)!;
            var stdout = tool.StandardOutput.ReadToEndAsync();
            var stderr = tool.StandardError.ReadToEndAsync();
            await tool.WaitForExitAsync().WaitAsync(Generous);
            string output = await stdout, errors = await stderr;
            Out.WriteLine($"{scheme}: {errors.Trim()}");
            var result = output.Split('\n').SingleOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException($"no RESULT line from the load tool:\n{output}\n{errors}");
            using var json = System.Text.Json.JsonDocument.Parse(result["RESULT ".Length..]);
            var root = json.RootElement;
            Assert.Equal(0, root.GetProperty("errors").GetInt64());
            Assert.Equal(Connections, root.GetProperty("messages").GetInt64()); // one echo per connection: nothing lost
            Assert.Equal(0, tool.ExitCode);
            return root.GetProperty("rss_per_conn_kib").GetDouble();
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
