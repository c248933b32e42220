namespace ActorWs.Protocol;

/// <summary>Status codes of RFC 6455 §7.4.1, with the later IANA registrations (1012–1014).</summary>
public static class CloseCodes
{
    public const ushort NormalClosure = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;
    /// <summary>Never on the wire: the close frame had no status code.</summary>
    public const ushort NoStatusReceived = 1005;
    /// <summary>Never on the wire: the connection closed without a close frame.</summary>
    public const ushort AbnormalClosure = 1006;
    public const ushort InvalidPayloadData = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalError = 1011;
    public const ushort ServiceRestart = 1012;
    public const ushort TryAgainLater = 1013;
    public const ushort BadGateway = 1014;
    /// <summary>Never on the wire: the TLS handshake failed.</summary>
    public const ushort TlsHandshakeFailure = 1015;

    /// <summary>
    /// Whether a code may appear in a close frame, sent or received (§7.4.1, §7.4.2): the assigned
    /// codes except the three reserved for local reporting (1005, 1006, 1015) and the never-assigned
    /// 1004; 3000–3999 (registered) and 4000–4999 (private use). Everything below 1000, the other
    /// unassigned codes below 3000 and everything from 5000 up are invalid.
    /// </summary>
    public static bool IsValidOnWire(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    public static string Describe(int code) => code switch
    {
        NormalClosure => "normal closure",
        GoingAway => "going away",
        ProtocolError => "protocol error",
        UnsupportedData => "unsupported data",
        NoStatusReceived => "no status received",
        AbnormalClosure => "abnormal closure",
        InvalidPayloadData => "invalid payload data",
        PolicyViolation => "policy violation",
        MessageTooBig => "message too big",
        MandatoryExtension => "mandatory extension",
        InternalError => "internal error",
        ServiceRestart => "service restart",
        TryAgainLater => "try again later",
        BadGateway => "bad gateway",
        TlsHandshakeFailure => "TLS handshake failure",
        >= 3000 and <= 3999 => "registered",
        >= 4000 and <= 4999 => "private use",
        _ => "unknown",
    };
}
