#nullable enable

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>
/// Runs an interop peer (tests/interop) as an external process: an echo server (Node ws / Python websockets)
/// or a client script (Node ws / Python websockets / headless Chromium) that runs the interop cases, or curl.
/// The process (tree) is always killed on dispose.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    public const string PythonPath = "/usr/bin/python3";
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(15);
    private static readonly Lazy<string?> LazyNodePath = new(() => FindOnPath("node"));
    private static readonly Lazy<string?> LazyCurlPath = new(() => FindOnPath("curl"));
    private static readonly Lazy<string?> LazyPythonProblem = new(CheckPythonWebsockets);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _output = new();
    private readonly List<PeerCloseRecord> _closed = new();
    private readonly Channel<PeerCloseRecord> _closedChannel = Channel.CreateUnbounded<PeerCloseRecord>();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _exited;
    private int _disposed;

    private PeerProcess(PeerKind kind, Process process)
    {
        Kind = kind;
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, isError: false);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, isError: true);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try { _process.StandardInput.Close(); } catch (IOException) { /* peer already gone */ }
        // WaitForExitAsync also waits until redirected stdout/stderr reach EOF.
        _exited = WaitForExitSafeAsync(_process);
        _exited.ContinueWith(
            _ => _listening.TrySetException(new InvalidOperationException(
                $"{Kind} peer exited (code {SafeExitCode()}) before printing LISTENING. Output:\n{Output}")),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public PeerKind Kind { get; }

    /// <summary>The TCP port the echo server listens on (127.0.0.1). Only set for servers.</summary>
    public int Port { get; private set; }

    public int ProcessId => _process.Id;

    public bool HasExited
    {
        get
        {
            try { return _process.HasExited; }
            catch (InvalidOperationException) { return true; }
        }
    }

    /// <summary>ws://127.0.0.1:&lt;Port&gt;/ for a server peer.</summary>
    public string Url => $"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>All output so far (stderr lines prefixed with "stderr: ").</summary>
    public string Output
    {
        get
        {
            lock (_gate) { return string.Join('\n', _output); }
        }
    }

    /// <summary>Snapshot of the CLOSED lines the server printed so far.</summary>
    public IReadOnlyList<PeerCloseRecord> ClosedConnections
    {
        get
        {
            lock (_gate) { return _closed.ToArray(); }
        }
    }

    /// <summary>The repository root (the folder holding ActorWs.sln), or null when it cannot be found.</summary>
    public static string? RepoRoot => Repository.Root;

    /// <summary>tests/interop under the repository root.</summary>
    public static string InteropDir =>
        Path.Combine(RepoRoot ?? throw new InvalidOperationException("ActorWs.sln not found above " + AppContext.BaseDirectory), "tests", "interop");

    /// <summary>
    /// Null when the peer can run here, otherwise a human-readable reason (for skipping a test).
    /// </summary>
    public static string? Unavailable(PeerKind kind)
    {
        string? root = RepoRoot;
        if (root is null)
        {
            return $"repository root (ActorWs.sln) not found above {AppContext.BaseDirectory}";
        }

        string interop = Path.Combine(root, "tests", "interop");
        switch (kind)
        {
            case PeerKind.Node:
                if (LazyNodePath.Value is null) return "node is not on PATH (run .ci/install-peers.sh)";
                if (!File.Exists(Path.Combine(interop, "node_modules", "ws", "package.json")))
                    return "tests/interop/node_modules/ws is missing (run .ci/install-peers.sh)";
                return null;
            case PeerKind.Python:
                return LazyPythonProblem.Value;
            case PeerKind.Browser:
                if (LazyNodePath.Value is null) return "node is not on PATH (run .ci/install-peers.sh)";
                if (!File.Exists(Path.Combine(interop, "node_modules", "playwright-core", "package.json")))
                    return "tests/interop/node_modules/playwright-core is missing (run .ci/install-peers.sh)";
                if (!File.Exists(ChromiumPath)) return $"{ChromiumPath} is missing (run .ci/install-peers.sh)";
                if (!File.Exists(Path.Combine(root, "examples", "echo.html"))) return "examples/echo.html is missing";
                return null;
            case PeerKind.Curl:
                return LazyCurlPath.Value is null ? "curl is not on PATH" : null;
            default:
                return $"unknown peer kind {kind}";
        }
    }

    /// <summary>Starts an echo server peer on 127.0.0.1 with a free port and waits (15 s) until it listens.</summary>
    public static async Task<PeerProcess> StartServer(PeerKind kind, CancellationToken cancellationToken = default)
    {
        string script = kind switch
        {
            PeerKind.Node => "node-echo-server.js",
            PeerKind.Python => "py-echo-server.py",
            _ => throw new ArgumentException($"there is no {kind} echo server peer", nameof(kind)),
        };
        ThrowIfUnavailable(kind);

        var peer = new PeerProcess(kind, CreateProcess(kind, script, "0"));
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(ListenTimeout);
            try
            {
                peer.Port = await peer._listening.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"{kind} echo server did not print LISTENING within {ListenTimeout.TotalSeconds} s. Output:\n{peer.Output}");
            }

            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs a client peer against <paramref name="url"/> to completion (or until <paramref name="timeout"/>, when its
    /// process tree is killed and <see cref="PeerRunResult.TimedOut"/> is set). <paramref name="extraArguments"/>
    /// follow the URL, e.g. <c>--only text-ascii</c> for the Node and Python clients, <c>--head</c> for curl
    /// (whose output has no PASS or DONE lines: its <see cref="PeerRunResult.Output"/> is the response).
    /// </summary>
    public static async Task<PeerRunResult> RunClient(
        PeerKind kind, string url, TimeSpan timeout, CancellationToken cancellationToken = default,
        IReadOnlyList<string>? extraArguments = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        string? script = kind switch
        {
            PeerKind.Node => "node-client.js",
            PeerKind.Python => "py-client.py",
            PeerKind.Browser => "browser-client.js",
            PeerKind.Curl => null,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        ThrowIfUnavailable(kind);

        await using var peer = new PeerProcess(kind, CreateProcess(kind, script, url, extraArguments));
        bool timedOut = false;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            cts.CancelAfter(timeout);
            try
            {
                await peer._exited.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                peer.Kill();
                // Give the readers a moment to drain what the killed process printed.
                try { await peer._exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
                catch (TimeoutException) { /* report what we have */ }
            }
        }

        string[] lines;
        lock (peer._gate) { lines = peer._output.ToArray(); }
        var pass = lines.Where(l => l.StartsWith("PASS ", StringComparison.Ordinal)).ToArray();
        var fail = lines.Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal)).ToArray();
        int? donePassed = null, doneFailed = null;
        string? done = lines.LastOrDefault(l => l.StartsWith("DONE ", StringComparison.Ordinal));
        if (done is not null)
        {
            foreach (string part in done.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.StartsWith("passed=", StringComparison.Ordinal) &&
                    int.TryParse(part.AsSpan(7), NumberStyles.Integer, CultureInfo.InvariantCulture, out int p))
                    donePassed = p;
                else if (part.StartsWith("failed=", StringComparison.Ordinal) &&
                         int.TryParse(part.AsSpan(7), NumberStyles.Integer, CultureInfo.InvariantCulture, out int f))
                    doneFailed = f;
            }
        }

        int exitCode = timedOut ? -1 : peer.SafeExitCode() ?? -1;
        return new PeerRunResult(kind, exitCode, timedOut, pass, fail, donePassed, doneFailed, string.Join('\n', lines));
    }

    /// <summary>
    /// Waits for the next CLOSED line not yet returned by this method (lines are consumed in order).
    /// Throws <see cref="TimeoutException"/> when none arrives in time.
    /// </summary>
    public async Task<PeerCloseRecord> WaitForNextCloseAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await _closedChannel.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"{Kind} peer printed no further CLOSED line within {timeout.TotalSeconds} s. Output:\n{Output}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{Kind} peer exited without a further CLOSED line. Output:\n{Output}");
        }
    }

    /// <summary>Kills the peer's whole process tree at once (no close handshake). Safe to call repeatedly.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { /* already exited / not started */ }
        catch (System.ComponentModel.Win32Exception) { /* exiting concurrently */ }
    }

    /// <summary>Kills the process tree and waits briefly for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill();
        try { await _exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (TimeoutException) { /* nothing more we can do */ }
        _process.Dispose();
    }

    public override string ToString() => $"{Kind} peer pid={ProcessId} port={Port}";

    private void OnLine(string? line, bool isError)
    {
        if (line is null) return; // EOF
        lock (_gate) { _output.Add(isError ? "stderr: " + line : line); }
        if (isError) return;

        if (line.StartsWith("LISTENING ", StringComparison.Ordinal) &&
            int.TryParse(line.AsSpan(10).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int port))
        {
            _listening.TrySetResult(port);
        }
        else if (line.StartsWith("CLOSED ", StringComparison.Ordinal))
        {
            string rest = line.Substring(7);
            int sp = rest.IndexOf(' ');
            string codeText = sp >= 0 ? rest.Substring(0, sp) : rest;
            string reason = sp >= 0 ? rest.Substring(sp + 1) : string.Empty;
            int? code = int.TryParse(codeText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) ? c : null;
            var record = new PeerCloseRecord(code, reason, line);
            lock (_gate) { _closed.Add(record); }
            _closedChannel.Writer.TryWrite(record);
        }
    }

    private int? SafeExitCode()
    {
        try { return _process.HasExited ? _process.ExitCode : null; }
        catch (InvalidOperationException) { return null; }
    }

    private async Task WaitForExitSafeAsync(Process process)
    {
        try { await process.WaitForExitAsync().ConfigureAwait(false); }
        catch (InvalidOperationException) { /* not started */ }
        finally { _closedChannel.Writer.TryComplete(); }
    }

    private static void ThrowIfUnavailable(PeerKind kind)
    {
        string? why = Unavailable(kind);
        if (why is not null) throw new InvalidOperationException($"{kind} peer unavailable: {why}");
    }

    private static Process CreateProcess(PeerKind kind, string? script, string argument, IReadOnlyList<string>? extraArguments = null)
    {
        string interop = InteropDir;
        var psi = new ProcessStartInfo
        {
            FileName = kind switch
            {
                PeerKind.Python => PythonPath,
                PeerKind.Curl => LazyCurlPath.Value ?? "curl",
                _ => LazyNodePath.Value ?? "node",
            },
            WorkingDirectory = interop,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            CreateNoWindow = true,
        };
        if (script is not null)
            psi.ArgumentList.Add(Path.Combine(interop, script));
        psi.ArgumentList.Add(argument);
        foreach (string extra in extraArguments ?? Array.Empty<string>())
            psi.ArgumentList.Add(extra);
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        psi.Environment.Remove("PYTHONPATH"); // use Debian's own python3-websockets only
        psi.Environment.Remove("PYTHONHOME");
        return new Process { StartInfo = psi, EnableRaisingEvents = true };
    }

    private static string? FindOnPath(string exe)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                     .Append("/usr/local/bin").Append("/usr/bin"))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    private static string? CheckPythonWebsockets()
    {
        if (!File.Exists(PythonPath)) return $"{PythonPath} is missing (run .ci/install-peers.sh)";
        try
        {
            var psi = new ProcessStartInfo(PythonPath)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import websockets; print(websockets.__version__)");
            psi.Environment.Remove("PYTHONPATH");
            psi.Environment.Remove("PYTHONHOME");
            using var p = Process.Start(psi);
            if (p is null) return $"could not start {PythonPath}";
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(15_000))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return $"{PythonPath} -c 'import websockets' did not finish within 15 s";
            }

            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                string err = stderr.Result.Trim().Split('\n').LastOrDefault() ?? string.Empty;
                return $"{PythonPath} cannot import websockets ({err}); install python3-websockets (run .ci/install-peers.sh)";
            }

            _ = stdout.Result;
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return $"cannot run {PythonPath}: {e.Message}";
        }
    }
}
