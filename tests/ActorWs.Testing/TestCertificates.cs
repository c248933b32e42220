using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorWs.Testing;

/// <summary>
/// A test CA and server certificates made in the test run (CertificateRequest, ECDSA P-256), so that
/// every TLS case is loopback-only and needs no file from outside: a good localhost certificate
/// (subjectAltName localhost, 127.0.0.1, ::1, signed by <see cref="Ca"/>), one for another host, an
/// expired one, and one signed by a CA nobody trusts. Each is also written as PEM (certificate,
/// PKCS #8 key) under <see cref="Directory"/>, for peers in other processes and the HOCON keys.
/// One set per process (<see cref="Shared"/>): key generation is the slow part.
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> Lazy = new(() => new TestCertificates());

    /// <summary>The process's set.</summary>
    public static TestCertificates Shared => Lazy.Value;

    private TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"actorws-tls-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        var now = DateTimeOffset.UtcNow;
        Ca = CreateCa("CN=ActorWs Test CA", now);
        var stranger = CreateCa("CN=ActorWs Untrusted CA", now);
        Localhost = CreateLeaf(Ca, "CN=localhost", ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], now.AddDays(-1), now.AddDays(30));
        WrongHost = CreateLeaf(Ca, "CN=wrong.example", ["wrong.example"], [], now.AddDays(-1), now.AddDays(30));
        Expired = CreateLeaf(Ca, "CN=localhost (expired)", ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], now.AddDays(-30), now.AddDays(-1));
        Untrusted = CreateLeaf(stranger, "CN=localhost (untrusted)", ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], now.AddDays(-1), now.AddDays(30));
        CaFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem());
    }

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }
    /// <summary>The test root CA, with its key (it signs the others).</summary>
    public X509Certificate2 Ca { get; }
    /// <summary>The CA as a PEM file: what a peer is told to trust.</summary>
    public string CaFile { get; }
    /// <summary>localhost, 127.0.0.1 and ::1, signed by <see cref="Ca"/>, valid now.</summary>
    public X509Certificate2 Localhost { get; }
    /// <summary>Signed by <see cref="Ca"/> for wrong.example only.</summary>
    public X509Certificate2 WrongHost { get; }
    /// <summary>localhost, signed by <see cref="Ca"/>, expired yesterday.</summary>
    public X509Certificate2 Expired { get; }
    /// <summary>localhost, signed by a CA that is trusted nowhere.</summary>
    public X509Certificate2 Untrusted { get; }

    /// <summary>A server's TLS with <paramref name="certificate"/>.</summary>
    public static TlsServerSettings Server(X509Certificate2 certificate) => new(certificate);

    /// <summary>Client options that trust <see cref="Ca"/> (and nothing else).</summary>
    public TlsClientOptions TrustingCa => new() { TrustedRoots = [Ca] };

    /// <summary>The pin (base64 SHA-256 of the SubjectPublicKeyInfo) of <paramref name="certificate"/>.</summary>
    public static string Spki(X509Certificate2 certificate) => TlsClientOptions.SpkiSha256(certificate);

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files; returns their paths.</summary>
    public (string CertFile, string KeyFile) WritePem(X509Certificate2 certificate, string name)
    {
        var certFile = Path.Combine(Directory, $"{name}.crt.pem");
        var keyFile = Path.Combine(Directory, $"{name}.key.pem");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    /// <summary>Writes <paramref name="certificate"/> with its key as a PKCS #12 file; returns its path.</summary>
    public string WritePfx(X509Certificate2 certificate, string name, string? password)
    {
        var file = Path.Combine(Directory, $"{name}.pfx");
        File.WriteAllBytes(file, certificate.Export(X509ContentType.Pkcs12, password));
        return file;
    }

    private static X509Certificate2 CreateCa(string subject, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return Reload(request.CreateSelfSigned(now.AddDays(-60), now.AddYears(1)));
    }

    private static X509Certificate2 CreateLeaf(X509Certificate2 issuer, string subject, string[] dnsNames, IPAddress[] addresses, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
            san.AddDnsName(name);
        foreach (var address in addresses)
            san.AddIpAddress(address);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive INTEGER (RFC 5280 §4.1.2.2)
        using var signed = request.Create(issuer, notBefore, notAfter, serial);
        return Reload(signed.CopyWithPrivateKey(key));
    }

    /// <summary>Through PKCS #12 and back: a certificate whose key is not ephemeral, usable by SslStream
    /// on every platform, and by <see cref="CreateLeaf"/> as an issuer.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }
}
