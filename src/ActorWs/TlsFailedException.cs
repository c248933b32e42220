namespace ActorWs;

/// <summary>Why a TLS handshake failed (RFC 8446 §4, RFC 5246 §7.4), as far as this side can tell.</summary>
public enum TlsFailureReason
{
    /// <summary>Client: the server's certificate does not chain to a trusted root (RFC 5280 §6), or the chain is incomplete.</summary>
    UntrustedChain,
    /// <summary>Client: the certificate is valid for other names than the host connected to (RFC 6125 §6, RFC 9110 §4.3.4).</summary>
    HostNameMismatch,
    /// <summary>Client: a certificate of the chain is expired or not yet valid (RFC 5280 §4.1.2.5).</summary>
    Expired,
    /// <summary>Client: the certificate's public key is none of the pinned ones (<see cref="TlsClientOptions.PinnedSpkiSha256"/>).</summary>
    PinMismatch,
    /// <summary>Client: the application's <see cref="TlsClientOptions.CertificateValidation"/> refused the certificate.</summary>
    RejectedByCallback,
    /// <summary>Client: the server sent no certificate, or the chain failed for another reason (revocation, usage).</summary>
    InvalidCertificate,
    /// <summary>The peer does not speak TLS: a plain HTTP request on a wss:// port, or a plain answer to our ClientHello.</summary>
    NotTls,
    /// <summary>The peer ended the handshake with an alert (RFC 8446 §6.2), e.g. because it refused our certificate, or no protocol version or cipher suite was shared.</summary>
    HandshakeFailed,
    /// <summary>The TLS handshake did not complete within <c>actorws.handshake.timeout</c>.</summary>
    TimedOut,
    /// <summary>TCP ended or was reset during the TLS handshake.</summary>
    ConnectionLost,
}

/// <summary>
/// A TLS handshake that failed, with why: the certificate our client refused (untrusted chain, wrong
/// host, expired, pin, callback), a peer that does not speak TLS, or a handshake the peer broke off.
/// It reaches a client's handler in <see cref="Closed.TlsFailure"/> (the code is then 1006, RFC 6455
/// §4.1: "If the connection could not be opened ... _Fail the WebSocket Connection_"); a server logs
/// it. A client does not reconnect after it unless the handshake timed out or TCP was lost
/// (<see cref="IsTransient"/>): a certificate refused once is refused again.
/// </summary>
public sealed class TlsFailedException : Exception
{
    /// <summary>A failure for <paramref name="reason"/>, described by <paramref name="message"/>.</summary>
    public TlsFailedException(TlsFailureReason reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
    }

    /// <summary>Why the handshake failed.</summary>
    public TlsFailureReason Reason { get; }

    /// <summary>Our client refused the server's certificate.</summary>
    public bool IsCertificateRejected => Reason is TlsFailureReason.UntrustedChain or TlsFailureReason.HostNameMismatch
        or TlsFailureReason.Expired or TlsFailureReason.PinMismatch or TlsFailureReason.RejectedByCallback or TlsFailureReason.InvalidCertificate;

    /// <summary>Worth another try: a timeout or a lost TCP connection, not a refusal that would repeat.</summary>
    public bool IsTransient => Reason is TlsFailureReason.TimedOut or TlsFailureReason.ConnectionLost;
}
