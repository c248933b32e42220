namespace ActorWs.Conformance.Tests.Interop;

/// <summary>A "CLOSED &lt;code&gt; &lt;reason&gt;" line printed by an echo-server peer.</summary>
public sealed record PeerCloseRecord(int? Code, string Reason, string RawLine)
{
    public override string ToString() => RawLine;
}
