using System.Diagnostics;
using Akka.Actor;
using ActorWs.Hardening.Tests.Support;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// wss:// under load: 1,000 concurrent TLS connections of our client to our server, each echoing 100
/// messages, nothing lost; and what an idle TLS connection costs the server next to a plain one,
/// measured with the clients in another process (Python "websockets", so that only the server's
/// side is in this process's RSS).
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
        var script = Repository.PathOf("tests/interop/py-idle-clients.py");
        Assert.True(File.Exists("/usr/bin/python3"), "/usr/bin/python3 with python3-websockets is needed (.ci/install-peers.sh)");
        CaptureErrors();
        var plain = await MeasureAsync(script, tls: false);
        var tls = await MeasureAsync(script, tls: true);
        Out.WriteLine($"server RSS per idle connection ({Connections} connections, clients in another process): plain {plain:0.0} KiB, TLS {tls:0.0} KiB, TLS costs {tls - plain:0.0} KiB more");
        // Bounds that only a leak or a buffer held per connection would break: the measurement itself is the result.
        Assert.InRange(plain, 0, 200);
        Assert.InRange(tls, 0, 400);
        Assert.Empty(Errors);
    }

    /// <summary>RSS growth of this process (the server's side only) per connection, GC'd before and after.</summary>
    private async Task<double> MeasureAsync(string script, bool tls)
    {
        var counts = new HandlerCounts();
        var settings = TestSettings.Create("actorws.handshake.timeout = 300s");
        if (tls)
            settings = settings with { Tls = TestCertificates.Server(TestCertificates.Shared.Localhost) };
        var server = await StartServerAsync(settings, handler: CountingEchoHandler.Props(counts));
        var url = $"{(tls ? "wss" : "ws")}://localhost:{server.Endpoint.Port}/";

        // Warm-up: JIT, pools, the TLS library's first use are not per-connection costs.
        await RunIdleClientsAsync(script, url, 20, tls, async () => await Task.CompletedTask);
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(60));

        long before = SettledRssKib(), heapBefore = GC.GetTotalMemory(true);
        long after = 0, heapAfter = 0;
        await RunIdleClientsAsync(script, url, Connections, tls, async () =>
        {
            await counts.WhenOpenAtOnce(Connections).WaitAsync(Generous); // the server has them all, not only the client
            after = SettledRssKib();
            heapAfter = GC.GetTotalMemory(true);
        });
        await AwaitNoConnectionsAsync(server, TimeSpan.FromSeconds(120));
        await server.StopAsync();
        // The managed heap's share tells the .NET objects (actors, SslStream) from native memory (OpenSSL's per-connection state).
        Out.WriteLine($"{(tls ? "TLS" : "plain")}: server VmRSS {before} -> {after} KiB with {Connections} idle connections; " +
            $"managed heap {(heapAfter - heapBefore) / 1024.0 / Connections:0.0} KiB per connection");
        return (after - before) / (double)Connections;
    }

    private static long SettledRssKib()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>Runs the idle clients; <paramref name="whileOpen"/> runs once they all are, then they close.</summary>
    private static async Task RunIdleClientsAsync(string script, string url, int count, bool tls, Func<Task> whileOpen)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in tls ? [script, url, $"{count}", "--ca", TestCertificates.Shared.CaFile] : new[] { script, url, $"{count}" })
            start.ArgumentList.Add(arg);
        using var peer = Process.Start(start)!;
        var stderr = peer.StandardError.ReadToEndAsync();
        try
        {
            var line = await peer.StandardOutput.ReadLineAsync().WaitAsync(Generous);
            if (line != $"OPEN {count}")
                Assert.Fail($"the idle clients said '{line}' instead of OPEN {count}: {await stderr}"); // stderr ends when they exit, as they do on a failure
            await whileOpen();
            await peer.StandardInput.WriteLineAsync("close");
            await peer.StandardInput.FlushAsync();
            Assert.Equal($"DONE {count}", await peer.StandardOutput.ReadLineAsync().WaitAsync(Generous));
            await peer.WaitForExitAsync().WaitAsync(Generous);
        }
        finally
        {
            if (!peer.HasExited)
                peer.Kill(entireProcessTree: true);
        }
    }
}
