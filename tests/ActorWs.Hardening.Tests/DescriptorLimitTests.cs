using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ActorWs.Hardening.Tests.Support;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Hardening.Tests;

/// <summary>
/// The demo's echo server in a process of its own under a low descriptor limit (ulimit -n), where
/// running out of descriptors used to abort the whole process ("Out of memory.": .NET could not
/// start a thread). Filled up to its max-connections, then flooded: the excess is refused with 503,
/// the process lives, what it holds still echoes, and once that closes it accepts again.
/// </summary>
public sealed class DescriptorLimitTests(ITestOutputHelper output)
{
    private const int DescriptorLimit = 256;
    private const int Flood = 300;
    private const int FloodConcurrency = 32;
    /// <summary>A failure limit only: nothing here is expected to take long.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Server_under_a_descriptor_limit_answers_the_excess_with_503_and_keeps_serving()
    {
        var dll = BuildOutput.DemoDll();
        using var server = await DemoServer.StartAsync(dll, DescriptorLimit);
        output.WriteLine(server.ListeningLine);
        var open = new List<RawPeer>();
        try
        {
            // One at a time until the first refusal: every connection before it is a 101.
            string refusal;
            while (true)
            {
                var (peer, head) = await RawPeer.RequestUpgradeAsync(server.Uri, server.Endpoint);
                Assert.NotNull(head);
                if (!head.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal))
                {
                    Assert.StartsWith("HTTP/1.1 101 ", head);
                    open.Add(peer);
                    Assert.True(open.Count <= server.MaxConnections, $"more than max-connections ({server.MaxConnections}) accepted");
                    continue;
                }
                peer.Dispose();
                refusal = head;
                break;
            }
            Assert.Equal(server.MaxConnections, open.Count);
            AssertRefusal(refusal);

            // The flood: every one refused, with a 503 or, past the refusals in flight, closed at once.
            var outcomes = new ConcurrentBag<string>();
            using (var slots = new SemaphoreSlim(FloodConcurrency))
            {
                await Task.WhenAll(Enumerable.Range(0, Flood).Select(async _ =>
                {
                    await slots.WaitAsync();
                    try
                    {
                        var (peer, head) = await RawPeer.RequestUpgradeAsync(server.Uri, server.Endpoint);
                        peer.Dispose();
                        outcomes.Add(head ?? "closed");
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }
            var refusals = outcomes.Where(o => o.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal)).ToList();
            output.WriteLine($"flood of {Flood}: {refusals.Count} answered 503, {outcomes.Count(o => o == "closed")} closed at once");
            Assert.All(outcomes, o => Assert.True(o == "closed" || o.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal), $"not refused:\n{o}"));
            Assert.All(refusals, AssertRefusal);
            Assert.NotEmpty(refusals);
            Assert.False(server.HasExited, $"the server died:\n{server.Output}");
            // The log line comes through the server's logger and a pipe: waited for, not read at once.
            await server.WaitForLineAsync("new ones are refused with 503", Patience);

            // What it holds still works.
            for (int i = 0; i < open.Count; i++)
            {
                await open[i].SendAsync(open[i].Text($"still here {i}"));
                var echo = await open[i].ReadFrameAsync(Patience);
                Assert.NotNull(echo);
                Assert.Equal(Opcode.Text, echo.Opcode);
                Assert.Equal($"still here {i}", Encoding.UTF8.GetString(echo.Payload));
            }

            // Closed cleanly (the server closes TCP first, RFC 6455 §7.1.1), their descriptors come free
            // as each drain ends, and a new connection is accepted again.
            foreach (var peer in open)
            {
                await peer.SendAsync(peer.Close(CloseCodes.NormalClosure));
                var frames = await peer.ReadUntilClosedAsync(Patience);
                Assert.Equal(Opcode.Close, Assert.Single(frames).Opcode);
                peer.Dispose();
            }
            open.Clear();
            var deadline = DateTime.UtcNow + Patience;
            int attempts = 0;
            while (true)
            {
                attempts++;
                var (peer, head) = await RawPeer.RequestUpgradeAsync(server.Uri, server.Endpoint);
                if (head is not null && head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal))
                {
                    open.Add(peer);
                    break;
                }
                peer.Dispose();
                Assert.True(DateTime.UtcNow < deadline, $"no connection accepted within {Patience.TotalSeconds} s of closing them all; last answer:\n{head}");
                await Task.Delay(50);
            }
            output.WriteLine($"accepted again at attempt {attempts}");

            Assert.False(server.HasExited, $"the server died:\n{server.Output}");
            Assert.DoesNotContain("Out of memory", server.Output);
            Assert.DoesNotContain("Exception", server.Output);
        }
        finally
        {
            foreach (var peer in open)
                peer.Dispose();
            output.WriteLine(server.Output);
        }
    }

    /// <summary>RFC 9110 §15.6.4 and §10.2.3: 503 with Retry-After in seconds; and the close that follows, announced.</summary>
    private static void AssertRefusal(string head)
    {
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", head);
        Assert.Matches(new Regex(@"\r\nRetry-After: [1-9][0-9]*\r\n"), head);
        Assert.Contains("\r\nConnection: close\r\n", head);
    }

    /// <summary>The demo's <c>serve</c> under <c>ulimit -n</c>, on a port of its choosing; killed on Dispose.</summary>
    private sealed class DemoServer : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private DemoServer(Process process) => _process = process;

        public string ListeningLine { get; private set; } = "";
        public IPEndPoint Endpoint { get; private set; } = null!;
        public Uri Uri => new($"ws://{Endpoint}/");
        public int MaxConnections { get; private set; }
        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                    return _output.ToString();
            }
        }

        public static async Task<DemoServer> StartAsync(string dll, int descriptorLimit)
        {
            // sh's ulimit -n sets the hard limit too: .NET raises a soft limit to the hard one as it starts.
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "-c", $"ulimit -n {descriptorLimit} && exec dotnet \"$0\" serve --port 0 --quiet", dll })
                start.ArgumentList.Add(arg);
            var server = new DemoServer(Process.Start(start)!);
            server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                var exited = server._process.WaitForExitAsync();
                var first = await Task.WhenAny(server._listening.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
                Assert.True(first == server._listening.Task, $"the server exited before it listened:\n{server.Output}");
                var line = await server._listening.Task;
                var match = Regex.Match(line, @"^LISTENING (\d+) .*max-connections (\d+)");
                Assert.True(match.Success, $"no port and max-connections in '{line}'");
                server.ListeningLine = line;
                server.Endpoint = new IPEndPoint(IPAddress.Loopback, int.Parse(match.Groups[1].Value));
                server.MaxConnections = int.Parse(match.Groups[2].Value);
                return server;
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }

        private readonly List<(string Fragment, TaskCompletionSource Seen)> _awaited = new();

        private void OnLine(string? line)
        {
            if (line is null)
                return;
            lock (_output)
            {
                _output.AppendLine(line);
                foreach (var (fragment, seen) in _awaited)
                    if (line.Contains(fragment, StringComparison.Ordinal))
                        seen.TrySetResult();
            }
            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
                _listening.TrySetResult(line);
        }

        /// <summary>Completes when the server has printed a line containing <paramref name="fragment"/>
        /// (already, or later); fails after <paramref name="patience"/> with what it did print.</summary>
        public async Task WaitForLineAsync(string fragment, TimeSpan patience)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_output)
            {
                if (_output.ToString().Contains(fragment, StringComparison.Ordinal))
                    return;
                _awaited.Add((fragment, seen));
            }
            try
            {
                await seen.Task.WaitAsync(patience);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"the server printed no line with '{fragment}' within {patience.TotalSeconds} s:\n{Output}");
            }
        }

        public void Dispose()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            _process.Dispose();
        }
    }
}
