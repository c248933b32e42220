namespace ActorWs.Protocol;

/// <summary>
/// Which rule the peer broke: one member per rule the protocol core enforces, its name stable
/// across releases (as Node ws's <c>WS_ERR_*</c> codes are; the numeric values carry no meaning).
/// Tests and applications match these, never the reason text, which is for people and logs. The
/// close code (§7.4.1) and, for the opening handshake, the HTTP status follow from the kind
/// (<see cref="ViolationKinds"/>).
/// </summary>
public enum ViolationKind
{
    // Framing, §5.

    /// <summary>A frame from a client without the MASK bit (§5.1).</summary>
    UnmaskedClientFrame,
    /// <summary>A frame from a server with the MASK bit (§5.1).</summary>
    MaskedServerFrame,
    /// <summary>An RSV bit set that no negotiated extension defines (§5.2).</summary>
    ReservedBitsSet,
    /// <summary>An opcode that §5.2 reserves (0x3–0x7, 0xB–0xF).</summary>
    ReservedOpcode,
    /// <summary>A control frame with FIN clear (§5.5).</summary>
    FragmentedControlFrame,
    /// <summary>A control frame with a payload over 125 bytes (§5.5).</summary>
    ControlPayloadTooLong,
    /// <summary>A payload length not encoded in the fewest bytes (§5.2).</summary>
    NonMinimalLength,
    /// <summary>A 64-bit payload length with its most significant bit set (§5.2).</summary>
    LengthMostSignificantBitSet,
    /// <summary>A frame over the configured payload limit (§10.4).</summary>
    FrameTooBig,
    /// <summary>RSV1, permessage-deflate's "Per-Message Compressed" bit, on a control frame or a
    /// continuation frame: it belongs on the first frame of a data message only (RFC 7692 §6, §6.1).</summary>
    MisplacedCompressionBit,

    // Messages, §5.4, §8.1, §10.4.

    /// <summary>A continuation frame with no fragmented message to continue (§5.4).</summary>
    UnexpectedContinuation,
    /// <summary>A Text or Binary frame inside a fragmented message (§5.4).</summary>
    DataFrameInsideMessage,
    /// <summary>A message over the configured size limit (§10.4).</summary>
    MessageTooBig,
    /// <summary>A message in more fragments than the configured limit (§10.4).</summary>
    TooManyFragments,
    /// <summary>A text message that is not valid UTF-8 (§5.6, §8.1).</summary>
    InvalidUtf8Text,
    /// <summary>A compressed message whose payload is not valid DEFLATE data (RFC 7692 §7.2.2, RFC 1951):
    /// well-formed frames carrying data inconsistent with their message, hence 1007 like invalid UTF-8 (§7.4.1).</summary>
    InvalidCompressedData,

    // Close frames, §5.5.1, §7.4.

    /// <summary>A close payload of 1 byte: a body starts with a 2-byte status code (§5.5.1).</summary>
    OneByteClosePayload,
    /// <summary>A close payload over 125 bytes (§5.5).</summary>
    ClosePayloadTooLong,
    /// <summary>A status code that may not appear in a close frame (§7.4.1, §7.4.2).</summary>
    InvalidCloseCode,
    /// <summary>A close reason that is not valid UTF-8 (§5.5.1, §8.1).</summary>
    InvalidUtf8CloseReason,

    // The HTTP head of the opening handshake, §4.1, §4.2.1.

    /// <summary>A head over the configured limit before its empty line (§10.4; RFC 6585 §5: 431).</summary>
    HeadTooLarge,
    /// <summary>Bytes that cannot begin an HTTP head, such as a TLS ClientHello (RFC 9112 §2.2, §3).</summary>
    NotHttp,
    /// <summary>A head that is not well-formed HTTP/1.1: start line, field lines or end (RFC 9112 §2–§5).</summary>
    MalformedHead,

    // The client's opening handshake, as the server reads it, §4.2.1 and §4.2.2.

    /// <summary>A method other than GET (§4.2.1 item 1).</summary>
    MethodNotGet,
    /// <summary>An HTTP version before 1.1 (§4.2.1 item 1).</summary>
    HttpVersionTooOld,
    /// <summary>No Host header field (§4.2.1 item 2).</summary>
    HostMissing,
    /// <summary>More than one Host header field (RFC 9112 §3.2).</summary>
    HostDuplicated,
    /// <summary>No Upgrade header field with the token "websocket" (§4.2.1 item 3).</summary>
    UpgradeMissing,
    /// <summary>No Connection header field with the token "Upgrade" (§4.2.1 item 4).</summary>
    ConnectionUpgradeMissing,
    /// <summary>A Sec-WebSocket-Version other than 13, or none (§4.2.1 item 6, §4.4).</summary>
    UnsupportedVersion,
    /// <summary>No Sec-WebSocket-Key header field (§4.2.1 item 5).</summary>
    KeyMissing,
    /// <summary>More than one Sec-WebSocket-Key header field (§11.3.1).</summary>
    KeyDuplicated,
    /// <summary>A Sec-WebSocket-Key that is not the base64 of 16 bytes (§4.2.1 item 5).</summary>
    KeyInvalid,
    /// <summary>A resource name the server does not serve (§4.2.2 item 4, /resource name/).</summary>
    PathNotFound,
    /// <summary>An Origin the server does not accept (§4.2.2 item 4, /origin/; §10.2).</summary>
    OriginNotAllowed,
    /// <summary>A Sec-WebSocket-Protocol that is not a comma-separated list of one or more tokens
    /// (§4.1, §4.2.1 item 8, §11.3.4: <c>1#token</c>; RFC 9110 §5.6.1, §5.6.2).</summary>
    SubprotocolMalformed,
    /// <summary>A subprotocol offered twice (§4.1: the values "MUST all be unique strings").</summary>
    SubprotocolDuplicated,
    /// <summary>A Sec-WebSocket-Extensions that does not follow the grammar of §9.1 (§4.2.1 item 9).</summary>
    ExtensionsMalformed,

    // The server's opening handshake, as the client validates it, §4.1.

    /// <summary>A status other than 101 Switching Protocols (§4.1, check 1).</summary>
    StatusNot101,
    /// <summary>No Upgrade header field with the token "websocket" in the response (§4.1, check 2).</summary>
    ResponseUpgradeMissing,
    /// <summary>No Connection header field with the token "Upgrade" in the response (§4.1, check 3).</summary>
    ResponseConnectionUpgradeMissing,
    /// <summary>A Sec-WebSocket-Accept missing or not the one computed from our key (§4.1, check 4).</summary>
    AcceptMismatch,
    /// <summary>An extension the client did not ask for (§4.1, check 5).</summary>
    UnrequestedExtension,
    /// <summary>A subprotocol the client did not ask for, or one when it asked for none; also a
    /// Sec-WebSocket-Protocol in the response that is not exactly one of the offered names (a list,
    /// or the field twice: §11.3.4, "MUST NOT appear more than once in an HTTP response") (§4.1, check 6).</summary>
    UnrequestedSubprotocol,
}

/// <summary>What each <see cref="ViolationKind"/> calls for.</summary>
public static class ViolationKinds
{
    /// <summary>
    /// The status code for the close frame that answers the violation (§7.4.1): 1009 for a limit,
    /// 1007 for data inconsistent with its type, 1002 for every other rule of §5–§7. A handshake
    /// violation comes before the connection is open, so no close frame is sent (§4.1, §4.2.1):
    /// it is reported locally as 1006.
    /// </summary>
    public static ushort CloseCode(this ViolationKind kind) => kind switch
    {
        _ when kind.IsHandshake() => CloseCodes.AbnormalClosure,
        ViolationKind.FrameTooBig or ViolationKind.MessageTooBig or ViolationKind.TooManyFragments => CloseCodes.MessageTooBig,
        ViolationKind.InvalidUtf8Text or ViolationKind.InvalidUtf8CloseReason or ViolationKind.InvalidCompressedData => CloseCodes.InvalidPayloadData,
        _ => CloseCodes.ProtocolError,
    };

    /// <summary>
    /// The HTTP status a server answers a bad opening handshake with (§4.2.1: "an appropriate error
    /// code (such as 400 Bad Request)"; §4.2.2 names 403, 404 and 426; RFC 9110 §15.5.6 405), or null
    /// for a violation that is not answered in HTTP.
    /// </summary>
    public static int? HttpStatus(this ViolationKind kind) => kind switch
    {
        ViolationKind.HeadTooLarge => 431,
        ViolationKind.MethodNotGet => 405,
        ViolationKind.UpgradeMissing or ViolationKind.UnsupportedVersion => 426,
        ViolationKind.PathNotFound => 404,
        ViolationKind.OriginNotAllowed => 403,
        ViolationKind.NotHttp or ViolationKind.MalformedHead or ViolationKind.HttpVersionTooOld
            or ViolationKind.HostMissing or ViolationKind.HostDuplicated or ViolationKind.ConnectionUpgradeMissing
            or ViolationKind.KeyMissing or ViolationKind.KeyDuplicated or ViolationKind.KeyInvalid
            or ViolationKind.SubprotocolMalformed or ViolationKind.SubprotocolDuplicated or ViolationKind.ExtensionsMalformed => 400,
        _ => null,
    };

    /// <summary>Whether the violation is in the opening handshake (§4), before any frame.</summary>
    public static bool IsHandshake(this ViolationKind kind) =>
        kind.HttpStatus() is not null || kind is ViolationKind.StatusNot101 or ViolationKind.ResponseUpgradeMissing
            or ViolationKind.ResponseConnectionUpgradeMissing or ViolationKind.AcceptMismatch
            or ViolationKind.UnrequestedExtension or ViolationKind.UnrequestedSubprotocol;
}
