using System.Diagnostics;

namespace ActorWs.Demo.Tests;

/// <summary>
/// A program the test starts with <c>dotnet DLL ARGS</c>: its output lines are kept, and a test
/// waits for the line it needs (a positive signal such as <c>LISTENING 41234</c>) rather than for
/// time to pass. Killed on dispose if still running.
/// </summary>
internal sealed class ProgramProcess : IDisposable
{
    /// <summary>How long a test waits for a line or an exit before it fails: a limit for a failure,
    /// never a measurement (a passing run ends as soon as the line comes).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiting = [];
    private readonly TaskCompletionSource _outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProgramProcess(Process process) => _process = process;

    public static ProgramProcess Start(string dll, params string[] args)
    {
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} is not built: build ActorWs.sln first", dll);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var started = new ProgramProcess(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {dll}"));
        started._process.OutputDataReceived += (_, e) => started.Add(e.Data, started._outputEnded);
        started._process.ErrorDataReceived += (_, e) => started.Add(e.Data, started._errorsEnded);
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Standard input, for a program that reads lines (the demo's connect).</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Every line so far, standard output and error interleaved as they came.</summary>
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
            foreach (var (match, seen) in _waiting)
                if (match(line))
                    seen.TrySetResult(line);
        }
    }

    /// <summary>The first line (already printed or to come) that contains <paramref name="fragment"/>.</summary>
    public async Task<string> WaitForLineAsync(string fragment)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal)) is { } line)
                return line;
            _waiting.Add((l => l.Contains(fragment, StringComparison.Ordinal), seen));
        }
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(seen.Task, exited).WaitAsync(Limit) == seen.Task)
            return await seen.Task;
        // It exited: its last lines may still be on their way through the pipes.
        await Task.WhenAll(_outputEnded.Task, _errorsEnded.Task).WaitAsync(Limit);
        return seen.Task.IsCompleted ? await seen.Task
            : throw new Xunit.Sdk.XunitException($"the program exited ({_process.ExitCode}) without printing '{fragment}':\n{Output}");
    }

    /// <summary>Its exit code, once it has exited and all its output is in <see cref="Output"/>.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Limit);
        await Task.WhenAll(_outputEnded.Task, _errorsEnded.Task).WaitAsync(Limit);
        return _process.ExitCode;
    }

    /// <summary>The port of a <c>LISTENING &lt;port&gt;</c> line.</summary>
    public async Task<int> ListeningPortAsync()
    {
        var line = await WaitForLineAsync("LISTENING ");
        return int.Parse(line.Split(' ')[1]);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
