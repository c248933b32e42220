namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Outcome of running a client peer to completion.</summary>
public sealed record PeerRunResult(
    PeerKind Kind,
    int ExitCode,
    bool TimedOut,
    IReadOnlyList<string> PassLines,
    IReadOnlyList<string> FailLines,
    int? DonePassed,
    int? DoneFailed,
    string Output)
{
    /// <summary>True when the client exited 0, did not time out and reported no failures.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut && FailLines.Count == 0 && DoneFailed == 0;

    /// <summary>True when a "PASS &lt;caseName&gt;" line (optionally followed by a note) was printed.</summary>
    public bool Passed(string caseName) =>
        PassLines.Any(l => l == "PASS " + caseName || l.StartsWith("PASS " + caseName + " ", StringComparison.Ordinal));

    /// <summary>The note of the "PASS &lt;caseName&gt; (&lt;note&gt;)" line: what the peer observed
    /// (the subprotocol it got, the status it was refused with); null when there is none.</summary>
    public string? Note(string caseName)
    {
        var prefix = "PASS " + caseName + " (";
        var line = PassLines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.EndsWith(')'));
        return line?[prefix.Length..^1];
    }

    public override string ToString() =>
        $"{Kind} client exit={ExitCode} timedOut={TimedOut} passed={PassLines.Count} failed={FailLines.Count}\n{Output}";
}
