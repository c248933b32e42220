using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ActorWs.Chat.Tests;

/// <summary>
/// A chat node (or any run of examples/Chat) as a separate process: its output lines are kept, and a
/// test waits for the line it needs (LISTENING, MEMBER UP …) rather than for time to pass. It can be
/// sent SIGTERM (a graceful stop) or killed outright (kill -9). Killed on dispose if still running.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    /// <summary>How long a test waits for a line or an exit before it fails: a limit for a failure,
    /// never a measurement (a passing run goes on as soon as the line comes).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static readonly string Dll = Repository.PathOf(typeof(NodeProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ChatDll").Value!);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(string Fragment, TaskCompletionSource<string> Seen)> _waiting = [];
    private readonly TaskCompletionSource _outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The ws:// port, once <see cref="StartedAsync"/> has seen the LISTENING line.</summary>
    public int Port { get; private set; }

    /// <summary>The remoting port it was given.</summary>
    public int ClusterPort { get; private init; }

    /// <summary>Its address in the cluster, as the MEMBER lines print it.</summary>
    public string Address => $"akka.tcp://chat@127.0.0.1:{ClusterPort}";

    public Uri Uri => new($"ws://127.0.0.1:{Port}/");

    /// <summary>A node on a free remoting port, joining through <paramref name="seedPort"/> (its own for the first).</summary>
    public static NodeProcess StartNode(string name, int clusterPort, int seedPort) =>
        Start(name, clusterPort, "--port", "0", "--cluster-port", clusterPort.ToString(), "--seed", $"127.0.0.1:{seedPort}");

    public static NodeProcess Start(string name, int clusterPort, params string[] args)
    {
        if (!File.Exists(Dll))
            throw new FileNotFoundException($"{Dll} is not built: build ActorWs.sln first", Dll);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var started = new NodeProcess(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {Dll}"), name) { ClusterPort = clusterPort };
        started._process.OutputDataReceived += (_, e) => started.Add(e.Data, started._outputEnded);
        started._process.ErrorDataReceived += (_, e) => started.Add(e.Data, started._errorsEnded);
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        return started;
    }

    /// <summary>A port free on loopback now (bound, then let go) for a node's remoting.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public string Output
    {
        get
        {
            lock (_lines)
                return string.Join('\n', _lines);
        }
    }

    private void Add(string? line, TaskCompletionSource ended)
    {
        if (line is null)
        {
            ended.TrySetResult();
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var (fragment, seen) in _waiting)
                if (Matches(line, fragment))
                    seen.TrySetResult(line);
        }
    }

    /// <summary>The line holds the fragment, not followed by a digit: "…127.0.0.1:4001" is not "…127.0.0.1:40012".</summary>
    private static bool Matches(string line, string fragment)
    {
        int at = line.IndexOf(fragment, StringComparison.Ordinal);
        return at >= 0 && (at + fragment.Length == line.Length || !char.IsAsciiDigit(fragment[^1]) || !char.IsAsciiDigit(line[at + fragment.Length]));
    }

    /// <summary>The first line (printed already or to come) that contains <paramref name="fragment"/>.</summary>
    public async Task<string> WaitForLineAsync(string fragment)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.FirstOrDefault(l => Matches(l, fragment)) is { } line)
                return line;
            _waiting.Add((fragment, seen));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(Limit));
        if (first == seen.Task)
            return await seen.Task;
        if (first == exited)
        {
            await Task.WhenAll(_outputEnded.Task, _errorsEnded.Task).WaitAsync(Limit);
            if (seen.Task.IsCompleted)
                return await seen.Task;
            throw new Xunit.Sdk.XunitException($"{Name} exited ({_process.ExitCode}) without printing '{fragment}':\n{Output}");
        }
        throw new Xunit.Sdk.XunitException($"{Name} did not print '{fragment}' within {Limit.TotalSeconds} s:\n{Output}");
    }

    /// <summary>Waits for the LISTENING line and keeps its port.</summary>
    public async Task<NodeProcess> StartedAsync()
    {
        var line = await WaitForLineAsync("LISTENING ");
        Port = int.Parse(line.Split(' ')[1]);
        return this;
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Limit);
        await Task.WhenAll(_outputEnded.Task, _errorsEnded.Task).WaitAsync(Limit);
        return _process.ExitCode;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>SIGTERM, as an orchestrator stops a node: it should close its connections with 1001 and leave.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0)
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed: {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>kill -9: no close frame, no leaving.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
