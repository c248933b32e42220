using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>
/// The ActorWs server over TLS (wss://, RFC 6455 §3) with a certificate made in the run
/// (<see cref="TestCertificates"/>: localhost, signed by the test CA), driven by independent TLS
/// stacks: Python "websockets" on CPython's ssl module trusting the test CA file, Node "ws" on Node's
/// tls module with the <c>ca</c> option, and headless Chromium (BoringSSL) trusting the certificate's
/// public key (<c>--ignore-certificate-errors-spki-list</c>). The cases are those of the plain runs
/// (<see cref="ServerInterop"/>): the same protocol, now inside TLS records.
/// </summary>
public sealed class TlsClientsToActorWsServerTests
{
    /// <summary>Text, binary of every length class (§5.2) and the closing handshake in both directions.</summary>
    private static readonly string[] TlsCases = ["text-utf8", "binary-256", "size-65536", "size-1MiB", "ping-pong", "close-by-client", "close-by-server"];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in TlsCases)
            data.Add(c);
        return data;
    }

    private static async Task WithTlsServerAsync(PeerKind kind, Func<WebSocketServer, HandlerEvents, Task> test)
    {
        PeerGuard.Require(kind);
        var system = TestSystem.System;
        using var events = new HandlerEvents(system);
        var settings = TestSystem.Settings with { Tls = TestCertificates.Server(TestCertificates.Shared.Localhost) };
        var server = await WebSocketServer.StartAsync(system, events.HandlerProps, settings, UniqueName.For("wss-server"));
        try
        {
            await test(server, events);
        }
        finally
        {
            system.Stop(server.Actor);
        }
    }

    /// <summary>The name the certificate is for (its subjectAltName), with the server's port.</summary>
    private static string Url(WebSocketServer server) => $"wss://localhost:{server.Endpoint.Port}/";

    private static Task RunCaseAsync(PeerKind kind, string @case) => WithTlsServerAsync(kind, async (server, events) =>
    {
        var result = await PeerProcess.RunClient(kind, Url(server), TimeSpan.FromSeconds(60),
            extraArguments: ["--only", @case, "--ca", TestCertificates.Shared.CaFile]);
        Assert.True(result.Succeeded && result.Passed(@case), $"{kind} client over TLS, case {@case}, against the ActorWs server:\n{result}");
        if (@case is "close-by-client" or "close-by-server")
        {
            var (code, reason) = @case == "close-by-client" ? (4000, "bye-client") : (4001, "bye-server");
            var closed = await events.NextAsync<Closed>(TimeSpan.FromSeconds(20));
            Assert.True(closed.Code == code && closed.Reason == reason && closed.WasClean,
                $"the ActorWs server's handler heard {closed}, expected Closed({code} '{reason}', wasClean=True)");
        }
    });

    [Theory, MemberData(nameof(Cases))]
    public Task PythonWebsocketsClient_trusting_the_test_CA_to_ActorWsServer_over_TLS(string @case) => RunCaseAsync(PeerKind.Python, @case);

    [Theory, MemberData(nameof(Cases))]
    public Task NodeWsClient_with_the_ca_option_to_ActorWsServer_over_TLS(string @case) => RunCaseAsync(PeerKind.Node, @case);

    [Fact]
    public Task HeadlessChromium_trusting_the_certificate_key_to_ActorWsServer_over_TLS() => WithTlsServerAsync(PeerKind.Browser, async (server, _) =>
    {
        var pin = TestCertificates.Spki(TestCertificates.Shared.Localhost);
        var result = await PeerProcess.RunClient(PeerKind.Browser, Url(server), TimeSpan.FromSeconds(120), extraArguments: ["--spki", pin]);
        Assert.True(result.Succeeded, $"headless Chromium over TLS against the ActorWs server:\n{result}");
        string[] expected = ["text-utf8", "binary-256", "size-65536", "size-1MiB", "close-by-client", "close-by-server"];
        var missing = expected.Where(c => !result.Passed(c)).ToArray();
        Assert.True(missing.Length == 0, $"cases that did not pass: {string.Join(", ", missing)}\n{result}");
    });
}
