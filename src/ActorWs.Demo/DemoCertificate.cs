using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorWs.Demo;

/// <summary>
/// <c>cert --out DIR</c>: a self-signed certificate for trying wss:// out on this machine — subjectAltName
/// localhost, 127.0.0.1 and ::1 (RFC 5280 §4.2.1.6; browsers and SslStream check these, not the CN),
/// ECDSA P-256, valid 30 days — as DIR/cert.pem and DIR/key.pem (PKCS #8). Being self-signed it is its
/// own CA: the client trusts it with <c>--ca DIR/cert.pem</c>.
/// </summary>
public static class DemoCertificate
{
    /// <summary>Writes the two files and says how to use them; 0 on success.</summary>
    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        // Self-signed and used as its own trust anchor: a CA (so OpenSSL takes it as a root), and a server.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        var certFile = Path.Combine(directory, "cert.pem");
        var keyFile = Path.Combine(directory, "key.pem");
        File.WriteAllText(certFile, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine($"wrote {certFile} and {keyFile}: CN=localhost, subjectAltName localhost, 127.0.0.1, ::1, valid to {certificate.NotAfter.ToUniversalTime():u}");
        Console.WriteLine($"SPKI pin (sha256, base64): {Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()))}");
        Console.WriteLine($"  server: ActorWs.Demo serve --tls-cert {certFile} --tls-key {keyFile}");
        Console.WriteLine($"  client: ActorWs.Demo connect wss://localhost:8765/ --ca {certFile}");
        return 0;
    }
}
