using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ActorWs;

/// <summary>
/// A server's TLS (<c>actorws.tls</c>): its certificate with the private key, and the chain it sends
/// (RFC 8446 §4.4.2). Read from PEM files or a PKCS #12 file when the settings are read, so that a
/// missing file or key fails at start, naming the key. One <see cref="SslStreamCertificateContext"/>
/// is shared by every connection: the chain is built once, not per handshake.
/// </summary>
public sealed class TlsServerSettings
{
    /// <summary>TLS with <paramref name="certificate"/> (which must have its private key), sending
    /// <paramref name="intermediates"/> after it.</summary>
    public TlsServerSettings(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null,
        SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"the certificate {certificate.Subject} has no private key", nameof(certificate));
        Certificate = certificate;
        Protocols = protocols;
        // offline: the chain is what the files hold; no download of missing intermediates at start.
        Context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    /// <summary>The server's certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The TLS versions accepted (actorws.tls.protocols).</summary>
    public SslProtocols Protocols { get; }

    internal SslStreamCertificateContext Context { get; }

    /// <summary>From PEM files: the certificate (followed by its intermediates, if any) and its key;
    /// <paramref name="keyFile"/> null when the key is in <paramref name="certFile"/>.</summary>
    public static TlsServerSettings FromPemFiles(string certFile, string? keyFile, SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certFile);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
            if (c.Thumbprint != leaf.Thumbprint)
                intermediates.Add(c);
        return new TlsServerSettings(leaf, intermediates, protocols);
    }

    /// <summary>From a PKCS #12 (PFX) file: the certificate with a private key, the others as its chain.</summary>
    public static TlsServerSettings FromPfxFile(string pfxFile, string? password, SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(pfxFile, password);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new ArgumentException("it holds no certificate with a private key");
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
            if (!ReferenceEquals(c, leaf))
                intermediates.Add(c);
        return new TlsServerSettings(leaf, intermediates, protocols);
    }

    /// <summary>The subject and validity, for the log.</summary>
    public override string ToString() => $"{Certificate.Subject} (valid {Certificate.NotBefore:u} to {Certificate.NotAfter:u})";
}
