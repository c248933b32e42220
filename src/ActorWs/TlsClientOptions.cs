using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorWs;

/// <summary>
/// How a client checks a wss:// server (RFC 6455 §4.1: "the client MUST perform a TLS handshake over
/// the connection"; the server name it checks is the host of the URI, RFC 6125 / RFC 9110 §4.3.4).
/// The defaults: the system's trust store, the host name checked, TLS 1.2 and 1.3, SNI (RFC 6066 §3)
/// and ALPN <c>http/1.1</c> (RFC 7301). Each option narrows or widens what is trusted:
/// <list type="bullet">
/// <item><see cref="CaFile"/> / <see cref="TrustedRoots"/>: trust these roots instead of the system's.</item>
/// <item><see cref="PinnedSpkiSha256"/>: trust a server by its public key, whatever signed it.</item>
/// <item><see cref="CertificateValidation"/>: the application decides (and is told what .NET found).</item>
/// </list>
/// A refused certificate ends the connection with a <see cref="TlsFailedException"/> that says why.
/// </summary>
public sealed record TlsClientOptions
{
    /// <summary>The defaults: the system's trust store and the host name checked.</summary>
    public static TlsClientOptions Default { get; } = new();

    /// <summary>A PEM file of CA certificates to trust instead of the system's store (the chain must
    /// end in one of them); null for the system's store. Read at each connect.</summary>
    public string? CaFile { get; init; }

    /// <summary>CA certificates to trust instead of the system's store, like <see cref="CaFile"/>
    /// (both may be given: either set is trusted); null for none.</summary>
    public IReadOnlyList<X509Certificate2>? TrustedRoots { get; init; }

    /// <summary>Pins (RFC 7469 §2.4): base64 SHA-256 digests of the SubjectPublicKeyInfo of the
    /// certificates to accept, as <see cref="SpkiSha256"/> computes them. When any is given, a server
    /// whose certificate has one of these keys is trusted whoever signed it (a self-signed one
    /// too), and one that has none is refused (<see cref="TlsFailureReason.PinMismatch"/>); its
    /// validity period and host name are still checked.</summary>
    public IReadOnlyList<string> PinnedSpkiSha256 { get; init; } = [];

    /// <summary>The application's own check, called with the server's certificate, the chain .NET
    /// built and the errors it found (already judged against <see cref="CaFile"/> and
    /// <see cref="TrustedRoots"/> when given); true accepts. It replaces the built-in judgement
    /// (but not the pins): return <c>errors == SslPolicyErrors.None</c> to keep it.</summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? CertificateValidation { get; init; }

    /// <summary>The name sent in SNI and checked against the certificate; null for the URI's host.</summary>
    public string? TargetHost { get; init; }

    /// <summary>The TLS versions offered: 1.2 and 1.3 (RFC 8996 deprecates the older ones).</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The pin of <paramref name="certificate"/>: base64 SHA-256 of its DER SubjectPublicKeyInfo
    /// (RFC 7469 §2.4; the value Chromium's <c>--ignore-certificate-errors-spki-list</c> takes).</summary>
    public static string SpkiSha256(X509Certificate2 certificate) =>
        Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
}
