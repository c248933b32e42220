using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using ActorWs.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// wss:// in both roles (RFC 6455 §3, §4.1 "If /secure/ is true"), with a CA and certificates made in
/// the run (<see cref="TestCertificates"/>), on loopback only: a good chain trusted through each of
/// the client's options, each way a certificate is refused (typed, and never retried), each side
/// speaking TLS to a plain peer, the HOCON keys, ClientWebSocket against our server and our client
/// against Kestrel over HTTPS.
/// </summary>
public sealed class TlsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static TestCertificates Certs => TestCertificates.Shared;

    private static WebSocketSettings TlsSettings(X509Certificate2 certificate, string extra = "", bool trace = false) =>
        TestSettings.Create(extra, trace) with { Tls = TestCertificates.Server(certificate) };

    private static Uri Wss(WebSocketServer server, string host = "localhost") => new($"wss://{host}:{server.Endpoint.Port}/");

    private async Task<Closed> EchoOverTls(WebSocketServer server, TlsClientOptions tls, string host = "localhost")
    {
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, Wss(server, host), app.Ref, TestSettings.Create(), options: new WebSocketClientOptions { Tls = tls });
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        connection.Tell(new SendText("über TLS"));
        Assert.Equal("über TLS", app.ExpectMsg<TextReceived>(Wait).Text);
        var blob = new byte[100_000]; // several TLS records each way
        Random.Shared.NextBytes(blob);
        connection.Tell(new SendBinary(blob));
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);
        connection.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.NormalClosure, true), (closed.Code, closed.WasClean));
        return closed;
    }

    // ------------------------------------------------------------------ a good chain

    [Fact]
    public async Task Our_client_trusting_the_test_CA_file_echoes_over_wss_with_our_server_and_closes_cleanly()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Localhost));
        Assert.Equal("wss", server.Uri.Scheme);
        await EchoOverTls(server, new TlsClientOptions { CaFile = Certs.CaFile });
    }

    [Fact]
    public async Task Our_client_connects_to_an_IP_literal_that_the_certificate_names()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Localhost));
        await EchoOverTls(server, Certs.TrustingCa, host: "127.0.0.1");
    }

    [Fact]
    public async Task A_validation_callback_sees_the_certificate_and_can_accept_it()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Untrusted));
        string? seen = null;
        await EchoOverTls(server, new TlsClientOptions
        {
            CertificateValidation = (certificate, _, errors) =>
            {
                seen = certificate.Subject;
                return errors == SslPolicyErrors.RemoteCertificateChainErrors; // the one expected: nobody trusts its CA
            },
        });
        Assert.Equal(Certs.Untrusted.Subject, seen);
    }

    [Fact]
    public async Task A_pinned_public_key_is_trusted_whoever_signed_it()
    {
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Untrusted));
        await EchoOverTls(server, new TlsClientOptions { PinnedSpkiSha256 = [TestCertificates.Spki(Certs.Untrusted)] });
    }

    [Fact]
    public async Task Both_sides_trace_the_TLS_version_cipher_suite_and_peer_certificate()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Localhost, trace: true));
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, Wss(server), app.Ref, TestSettings.Create(traceLifecycle: true), options: new WebSocketClientOptions { Tls = Certs.TrustingCa });
        app.ExpectMsg<Opened>(Wait);
        // Either side may finish first: both are collected, in whatever order they come.
        LifecycleEvent? client = null, serverEvent = null;
        while (client is null || serverEvent is null)
        {
            var e = events.ExpectMsg<LifecycleEvent>(Wait);
            if (e.Category == TraceCategory.Tls && e.Message.StartsWith("TLS handshake", StringComparison.Ordinal))
            {
                if (e.Side == Role.Client)
                    client = e;
                else
                    serverEvent = e;
            }
        }
        Assert.Matches(@"TLS handshake complete: TLS 1\.[23], TLS_\w+, server certificate 'CN=localhost', ALPN http/1.1", client.Message);
        Assert.Matches(@"TLS handshake complete: TLS 1\.[23], TLS_\w+, no client certificate, ALPN http/1.1", serverEvent.Message);
    }

    // ------------------------------------------------------------------ refused certificates

    private async Task<(Closed Closed, LifecycleEvent ServerSaw)> Refused(X509Certificate2 certificate, TlsClientOptions tls, string host = "localhost")
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(certificate, trace: true));
        var app = CreateTestProbe();
        // Reconnect on: a refused certificate must still be the client's last event.
        var settings = TestSettings.Create("actorws.reconnect.enabled = on\nactorws.reconnect.min-backoff = 10ms\nactorws.reconnect.first-delay-max = 20ms");
        var client = WebSocketClient.Connect(Sys, Wss(server, host), app.Ref, settings, options: new WebSocketClientOptions { Tls = tls });
        Watch(client);
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.AbnormalClosure, false, false), (closed.Code, closed.WasClean, closed.WillReconnect));
        Assert.NotNull(closed.TlsFailure);
        ExpectTerminated(client, Wait); // no reconnect: the client is gone
        // The server learns of it as a failed TLS handshake (the client's alert) or a lost connection, and never opens.
        var serverSaw = events.FishForMessage<LifecycleEvent>(e => e.Side == Role.Server && (e.Category == TraceCategory.Tls && e.Direction == Direction.Error || e.Message.StartsWith("closed") || e.Message.Contains("TCP")) && e.Message != $"listening on {server.Endpoint}" && !e.Message.StartsWith("new connection") && !e.Message.StartsWith("max-connections"), Wait);
        return (closed, serverSaw);
    }

    [Fact]
    public async Task A_certificate_from_an_untrusted_CA_is_refused_as_an_untrusted_chain_and_not_retried()
    {
        var (closed, serverSaw) = await Refused(Certs.Untrusted, Certs.TrustingCa);
        Assert.Equal(TlsFailureReason.UntrustedChain, closed.TlsFailure!.Reason);
        Assert.Contains("does not chain to a root", closed.TlsFailure.Message);
        Assert.True(closed.TlsFailure.IsCertificateRejected);
        Assert.Equal(Role.Server, serverSaw.Side);
    }

    [Fact]
    public async Task A_certificate_the_system_store_does_not_trust_is_refused_by_default()
    {
        var (closed, _) = await Refused(Certs.Localhost, TlsClientOptions.Default);
        Assert.Equal(TlsFailureReason.UntrustedChain, closed.TlsFailure!.Reason);
        Assert.Contains("the system's trust store", closed.TlsFailure.Message);
    }

    [Fact]
    public async Task A_certificate_for_another_host_is_refused_as_a_host_name_mismatch()
    {
        var (closed, _) = await Refused(Certs.WrongHost, Certs.TrustingCa);
        Assert.Equal(TlsFailureReason.HostNameMismatch, closed.TlsFailure!.Reason);
        Assert.Contains("'wrong.example'", closed.TlsFailure.Message);
        Assert.Contains("not for 'localhost'", closed.TlsFailure.Message);
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_as_expired()
    {
        var (closed, _) = await Refused(Certs.Expired, Certs.TrustingCa);
        Assert.Equal(TlsFailureReason.Expired, closed.TlsFailure!.Reason);
        Assert.Contains("expired on", closed.TlsFailure.Message);
    }

    [Fact]
    public async Task A_key_that_is_not_pinned_is_refused_as_a_pin_mismatch()
    {
        var (closed, _) = await Refused(Certs.Localhost, new TlsClientOptions { PinnedSpkiSha256 = [TestCertificates.Spki(Certs.Untrusted)] });
        Assert.Equal(TlsFailureReason.PinMismatch, closed.TlsFailure!.Reason);
    }

    [Fact]
    public async Task A_callback_that_says_no_is_refused_by_the_callback()
    {
        var (closed, _) = await Refused(Certs.Localhost, new TlsClientOptions { CertificateValidation = (_, _, _) => false });
        Assert.Equal(TlsFailureReason.RejectedByCallback, closed.TlsFailure!.Reason);
    }

    [Fact]
    public void Only_a_transient_TLS_failure_is_retried()
    {
        static Closed With(TlsFailureReason reason) => new(CloseCodes.AbnormalClosure, "", false) { TlsFailure = new TlsFailedException(reason, "") };
        foreach (var reason in Enum.GetValues<TlsFailureReason>())
            Assert.Equal(reason is TlsFailureReason.TimedOut or TlsFailureReason.ConnectionLost, ConnectionActor.ShouldReconnect(With(reason)));
    }

    // ------------------------------------------------------------------ TLS and plain peers

    [Fact]
    public async Task A_TLS_client_on_a_plain_port_fails_at_once_as_not_TLS_and_the_server_logs_a_ClientHello()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create(traceLifecycle: true));
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"wss://localhost:{server.Endpoint.Port}/"), app.Ref, TestSettings.Create(), options: new WebSocketClientOptions { Tls = Certs.TrustingCa });
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(TlsFailureReason.NotTls, closed.TlsFailure!.Reason);
        Assert.Contains("'HTTP/1.1 400 Bad Request…'", closed.TlsFailure.Message);
        var refused = events.FishForMessage<LifecycleEvent>(e => e.Side == Role.Server && e.Direction == Direction.Error && e.Category == TraceCategory.Http, Wait);
        Assert.Contains("TLS ClientHello", refused.Message);
    }

    [Fact]
    public async Task A_plain_client_on_a_TLS_port_gets_a_plain_400_that_says_so_and_the_server_logs_why()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Localhost, trace: true));
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"ws://localhost:{server.Endpoint.Port}/"), app.Ref, TestSettings.Create());
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(400, closed.HandshakeFailure!.StatusCode);
        Assert.Contains("speaks TLS", closed.HandshakeFailure.Refusal!.Body.Text);
        var failed = events.FishForMessage<LifecycleEvent>(e => e.Side == Role.Server && e.Category == TraceCategory.Tls && e.Direction == Direction.Error, Wait);
        Assert.Contains("(NotTls)", failed.Message);
        Assert.Contains("'GET / HTTP/1.1…'", failed.Message);
    }

    [Fact]
    public async Task A_client_that_never_starts_TLS_is_closed_at_the_handshake_timeout()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TlsSettings(Certs.Localhost, "actorws.handshake.timeout = 1s", trace: true));
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.Endpoint);
        using var cts = new CancellationTokenSource(Wait);
        int read;
        try
        {
            read = await silent.ReceiveAsync(new byte[1024], SocketFlags.None, cts.Token);
        }
        catch (SocketException)
        {
            read = 0; // reset: closed as well
        }
        Assert.Equal(0, read);
        events.FishForMessage<LifecycleEvent>(e => e.Side == Role.Server && e.Message.Contains("within 1 s"), Wait);
    }

    // ------------------------------------------------------------------ configuration

    private static WebSocketSettings FromHocon(string tls) =>
        WebSocketSettings.Create(ConfigurationFactory.ParseString($"actorws.tls {{ {tls} }}"));

    [Fact]
    public void The_tls_keys_load_PEM_files_and_a_PFX_with_its_password()
    {
        var (cert, key) = Certs.WritePem(Certs.Localhost, "hocon-pem");
        var pem = FromHocon($"enabled = on, cert-file = \"{cert}\", key-file = \"{key}\"");
        Assert.Equal(Certs.Localhost.Thumbprint, pem.Tls!.Certificate.Thumbprint);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, pem.Tls.Protocols);
        var pfx = Certs.WritePfx(Certs.Localhost, "hocon", "s3cret");
        var fromPfx = FromHocon($"enabled = on, pfx-file = \"{pfx}\", pfx-password = s3cret, protocols = [\"1.3\"]");
        Assert.Equal(Certs.Localhost.Thumbprint, fromPfx.Tls!.Certificate.Thumbprint);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, fromPfx.Tls.Protocols);
        Assert.Null(WebSocketSettings.Default.Tls);
    }

    [Theory]
    [InlineData("enabled = on", "actorws.tls.cert-file is empty")]
    [InlineData("enabled = on, cert-file = \"/nonexistent.pem\"", "actorws.tls.cert-file '/nonexistent.pem' does not exist")]
    [InlineData("enabled = on, pfx-file = \"/nonexistent.pfx\"", "actorws.tls.pfx-file '/nonexistent.pfx' does not exist")]
    [InlineData("enabled = on, key-file = \"/k.pem\"", "actorws.tls.cert-file is empty")]
    [InlineData("enabled = on, cert-file = CERT, protocols = [\"1.1\"]", "actorws.tls.protocols must list")]
    public void A_wrong_tls_key_fails_at_start_naming_the_key(string tls, string expected)
    {
        var (cert, _) = Certs.WritePem(Certs.Localhost, "hocon-wrong");
        var e = Assert.Throws<ConfigurationException>(() => FromHocon(tls.Replace("CERT", $"\"{cert}\"")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_wrong_PFX_password_and_a_certificate_without_its_key_fail_naming_the_key()
    {
        var pfx = Certs.WritePfx(Certs.Localhost, "hocon-pw", "right");
        Assert.Contains("actorws.tls.pfx-file", Assert.Throws<ConfigurationException>(() => FromHocon($"enabled = on, pfx-file = \"{pfx}\", pfx-password = wrong")).Message);
        var (cert, _) = Certs.WritePem(Certs.Localhost, "hocon-nokey");
        Assert.Contains("actorws.tls.cert-file", Assert.Throws<ConfigurationException>(() => FromHocon($"enabled = on, cert-file = \"{cert}\"")).Message);
    }

    [Fact]
    public void Connect_takes_wss_and_refuses_a_CA_file_it_cannot_read()
    {
        var handler = CreateTestProbe();
        var e = Assert.Throws<ArgumentException>(() => WebSocketClient.Connect(Sys, new Uri("wss://localhost:1/"), handler.Ref, TestSettings.Create(),
            options: new WebSocketClientOptions { Tls = new TlsClientOptions { CaFile = "/nonexistent-ca.pem" } }));
        Assert.Contains("/nonexistent-ca.pem", e.Message);
        Assert.Throws<ArgumentException>(() => WebSocketClient.Connect(Sys, new Uri("https://localhost:1/"), handler.Ref, TestSettings.Create()));
    }

    [Fact]
    public void The_Host_field_of_a_wss_request_omits_the_default_port_443()
    {
        var request = Encoding.ASCII.GetString(ClientHandshake.Create(new Uri("wss://example.com/chat")).Request);
        Assert.Contains("Host: example.com\r\n", request);
        Assert.Contains("Host: example.com:8443\r\n", Encoding.ASCII.GetString(ClientHandshake.Create(new Uri("wss://example.com:8443/chat")).Request));
    }

    // ------------------------------------------------------------------ other peers

    [Fact]
    public async Task ClientWebSocket_trusting_the_test_CA_talks_to_our_server_over_wss()
    {
        var events = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(events.Ref), TlsSettings(Certs.Localhost));
        using var ws = new ClientWebSocket();
        // The test CA as the only root, through a custom chain policy (X509ChainTrustMode.CustomRootTrust).
        ws.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Certs.Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && chain.Build((X509Certificate2)certificate!);
        };
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(Wss(server), cts.Token);
        events.ExpectMsg<Opened>(Wait);
        var buffer = new byte[8192];
        await ws.SendAsync(Encoding.UTF8.GetBytes("wss from ClientWebSocket"), WebSocketMessageType.Text, true, cts.Token);
        var r = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("wss from ClientWebSocket", Encoding.UTF8.GetString(buffer, 0, r.Count));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "done", true), events.ExpectMsg<Closed>(Wait));
    }

    public static TheoryData<string, TlsFailureReason> BadCertificates => new()
    {
        { nameof(TestCertificates.Untrusted), TlsFailureReason.UntrustedChain },
        { nameof(TestCertificates.WrongHost), TlsFailureReason.HostNameMismatch },
        { nameof(TestCertificates.Expired), TlsFailureReason.Expired },
    };

    private static X509Certificate2 Named(string name) => name switch
    {
        nameof(TestCertificates.Untrusted) => Certs.Untrusted,
        nameof(TestCertificates.WrongHost) => Certs.WrongHost,
        nameof(TestCertificates.Expired) => Certs.Expired,
        _ => Certs.Localhost,
    };

    /// <summary>The client role against a TLS stack that is not ours: Kestrel presenting a bad certificate.</summary>
    [Theory, MemberData(nameof(BadCertificates))]
    public async Task Our_client_refuses_Kestrel_presenting_a_bad_certificate_and_says_why(string certificate, TlsFailureReason reason)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(Named(certificate))));
        builder.Logging.ClearProviders();
        await using var web = builder.Build();
        web.UseWebSockets();
        web.Run(context => { context.Response.StatusCode = 400; return Task.CompletedTask; });
        await web.StartAsync();
        var port = new Uri(web.Urls.First()).Port;
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"wss://localhost:{port}/"), app.Ref, TestSettings.Create(), options: new WebSocketClientOptions { Tls = new TlsClientOptions { CaFile = Certs.CaFile } });
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal(reason, closed.TlsFailure!.Reason);
        Assert.Equal(CloseCodes.AbnormalClosure, closed.Code);
        await web.StopAsync();
    }

    /// <summary>The server role against a TLS client that is not ours: ClientWebSocket, trusting the
    /// test CA and checking the name and dates as .NET does, refuses; the server never opens, and its
    /// connection ends (a failed TLS handshake, or TCP closed under the opening handshake).</summary>
    [Theory, MemberData(nameof(BadCertificates))]
    public async Task ClientWebSocket_refuses_our_server_presenting_a_bad_certificate_and_the_server_gives_up_the_connection(string certificate, TlsFailureReason reason)
    {
        _ = reason; // the client's own words for it are .NET's
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(LifecycleEvent));
        var handler = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(handler.Ref), TlsSettings(Named(certificate), trace: true));
        using var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Certs.Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && chain.Build((X509Certificate2)presented!);
        };
        using var cts = new CancellationTokenSource(Wait);
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(Wss(server), cts.Token));
        var ended = events.FishForMessage<LifecycleEvent>(e => e.Side == Role.Server &&
            (e.Category == TraceCategory.Tls && e.Direction == Direction.Error || e.Message.StartsWith("handshake failed", StringComparison.Ordinal)), Wait);
        Assert.DoesNotContain("101", ended.Message);
        handler.ExpectNoMsg(TimeSpan.Zero); // never Opened
    }

    [Fact]
    public async Task Our_client_talks_to_Kestrel_over_HTTPS_trusting_the_test_CA()
    {
        await using var web = await KestrelEcho.StartAsync(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(Certs.Localhost)));
        var port = web.Port();
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"wss://localhost:{port}/echo"), app.Ref, TestSettings.Create(), options: new WebSocketClientOptions { Tls = new TlsClientOptions { CaFile = Certs.CaFile } });
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        connection.Tell(new SendText("to kestrel over TLS"));
        Assert.Equal("to kestrel over TLS", app.ExpectMsg<TextReceived>(Wait).Text);
        var blob = new byte[50_000];
        Random.Shared.NextBytes(blob);
        connection.Tell(new SendBinary(blob));
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);
        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var closed = app.ExpectMsg<Closed>(Wait);
        Assert.Equal((CloseCodes.NormalClosure, true), (closed.Code, closed.WasClean));
        await web.StopAsync();
    }
}
