using System.Security.Cryptography.X509Certificates;
using ActorWs.Demo;

namespace ActorWs.Demo.Tests;

/// <summary>The demo's TLS: the cert verb's certificate, and the options of serve and connect over TLS.</summary>
public sealed class DemoTlsTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("actorws-demo-cert-").FullName;

    [Fact]
    public void Cert_writes_a_self_signed_localhost_certificate_that_a_server_can_load()
    {
        var dir = TempDir();
        Assert.Equal(0, DemoCertificate.Write(dir));
        var tls = TlsServerSettings.FromPemFiles(Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"));
        Assert.Equal("CN=localhost", tls.Certificate.Subject);
        Assert.Equal(tls.Certificate.Subject, tls.Certificate.Issuer); // self-signed: its own trust anchor for --ca
        var san = tls.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1", "::1"], san.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.True(tls.Certificate.NotAfter > DateTime.Now.AddDays(7));
    }

    [Fact]
    public void Serve_with_a_PEM_certificate_and_key_turns_actorws_tls_on()
    {
        var dir = TempDir();
        DemoCertificate.Write(dir);
        var options = DemoOptions.Parse(["serve", "--port", "0", "--tls-cert", Path.Combine(dir, "cert.pem"), "--tls-key", Path.Combine(dir, "key.pem")]);
        var settings = WebSocketSettings.Create(options.LoadConfig());
        Assert.NotNull(settings.Tls);
        Assert.Equal("CN=localhost", settings.Tls!.Certificate.Subject);
    }

    [Fact]
    public void Serve_with_a_PFX_and_its_password_turns_actorws_tls_on()
    {
        var dir = TempDir();
        DemoCertificate.Write(dir);
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"));
        var pfx = Path.Combine(dir, "server.pfx");
        File.WriteAllBytes(pfx, pem.Export(X509ContentType.Pkcs12, "p\"w\\d"));
        var options = DemoOptions.Parse(["serve", "--tls-pfx", pfx, "--tls-password", "p\"w\\d"]);
        Assert.Equal(pem.Thumbprint, WebSocketSettings.Create(options.LoadConfig()).Tls!.Certificate.Thumbprint);
    }

    [Fact]
    public void Connect_wss_takes_a_CA_file_or_insecure()
    {
        var dir = TempDir();
        DemoCertificate.Write(dir);
        var ca = Path.Combine(dir, "cert.pem");
        var trusting = DemoOptions.Parse(["connect", "wss://localhost:8765/", "--ca", ca]);
        Assert.Equal("wss", trusting.Url!.Scheme);
        Assert.Equal(ca, trusting.ClientTls().CaFile);
        var insecure = DemoOptions.Parse(["connect", "wss://localhost:8765/", "--insecure"]).ClientTls();
        Assert.True(insecure.CertificateValidation!(null!, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Theory]
    [InlineData("serve --tls-key KEY", "--tls-key needs --tls-cert")]
    [InlineData("serve --tls-cert CERT --tls-pfx CERT", "give one of them")]
    [InlineData("serve --tls-pfx CERT --tls-password", "--tls-password needs a value")]
    [InlineData("serve --tls-cert /nonexistent.pem", "file '/nonexistent.pem' not found")]
    [InlineData("connect ws://localhost:1/ --ca CERT", "--ca and --insecure go with connect wss://")]
    [InlineData("connect wss://localhost:1/ --ca CERT --insecure", "give one of them")]
    [InlineData("connect ftp://localhost:1/", "is not a ws:// or wss:// URL")]
    [InlineData("cert", "cert needs --out DIR")]
    public void Wrong_TLS_options_are_one_readable_line(string line, string expected)
    {
        var dir = TempDir();
        DemoCertificate.Write(dir);
        var args = line.Split(' ').Select(a => a == "CERT" ? Path.Combine(dir, "cert.pem") : a == "KEY" ? Path.Combine(dir, "key.pem") : a).ToArray();
        Assert.Contains(expected, Assert.Throws<UsageException>(() => DemoOptions.Parse(args)).Message);
    }
}
