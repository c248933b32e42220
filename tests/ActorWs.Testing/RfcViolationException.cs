namespace ActorWs.Testing;

/// <summary>Bytes that break RFC 6455, as <see cref="FrameReader"/> found them: the section broken,
/// and what about it. A test that reads ActorWs's output fails with it.</summary>
public sealed class RfcViolationException : Exception
{
    public RfcViolationException(string section, string reason)
        : base($"RFC 6455 {section}: {reason}")
    {
        Section = section;
    }

    /// <summary>The same violation, told with more context (who sent it, what else happened).</summary>
    public RfcViolationException(string message, RfcViolationException inner)
        : base(message, inner)
    {
        Section = inner.Section;
    }

    /// <summary>The section of RFC 6455 the bytes break, e.g. "§5.2".</summary>
    public string Section { get; }
}
