namespace ActorWs.Protocol;

/// <summary>Status codes of RFC 6455 §7.4.1, with the later IANA registrations (1012–1014).</summary>
public static class CloseCodes
{
    /// <summary>1000: the purpose of the connection is fulfilled.</summary>
    public const ushort NormalClosure = 1000;
    /// <summary>1001: an endpoint is going away (a server shutting down, a page navigated away).</summary>
    public const ushort GoingAway = 1001;
    /// <summary>1002: the peer broke the protocol.</summary>
    public const ushort ProtocolError = 1002;
    /// <summary>1003: a data type the endpoint cannot accept.</summary>
    public const ushort UnsupportedData = 1003;
    /// <summary>Never on the wire: the close frame had no status code.</summary>
    public const ushort NoStatusReceived = 1005;
    /// <summary>Never on the wire: the connection closed without a close frame.</summary>
    public const ushort AbnormalClosure = 1006;
    /// <summary>1007: data not consistent with its type, such as text that is not UTF-8 (§8.1).</summary>
    public const ushort InvalidPayloadData = 1007;
    /// <summary>1008: a message that violates the endpoint's policy.</summary>
    public const ushort PolicyViolation = 1008;
    /// <summary>1009: a message too big to process.</summary>
    public const ushort MessageTooBig = 1009;
    /// <summary>1010 (client): the server did not negotiate an extension the client needs.</summary>
    public const ushort MandatoryExtension = 1010;
    /// <summary>1011 (server): an unexpected condition prevented fulfilling the request.</summary>
    public const ushort InternalError = 1011;
    /// <summary>1012 (IANA): the service is restarting.</summary>
    public const ushort ServiceRestart = 1012;
    /// <summary>1013 (IANA): try again later, the server is overloaded.</summary>
    public const ushort TryAgainLater = 1013;
    /// <summary>1014 (IANA): a gateway got an invalid response upstream.</summary>
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

    /// <summary>The code's meaning in a few words, for logs.</summary>
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
