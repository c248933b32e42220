using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>The server's side of the opening handshake, RFC 6455 §4.2.</summary>
public class ServerHandshakeTests
{
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    private static readonly string[] ValidLines = DoorRequests.SampleUpgradeLines;

    private static byte[] Request(string startLine, IEnumerable<string> lines) =>
        Encoding.ASCII.GetBytes(startLine + "\r\n" + string.Concat(lines.Select(l => l + "\r\n")) + "\r\n");

    private static byte[] ValidRequest(string target = "/chat") => Request($"GET {target} HTTP/1.1", ValidLines);

    /// <summary>The valid request with the header named <paramref name="name"/> replaced (or removed, for null).</summary>
    private static byte[] With(string name, params string[] values)
    {
        var lines = ValidLines.Where(l => !l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Concat(values.Select(v => $"{name}: {v}"));
        return Request("GET /chat HTTP/1.1", lines);
    }

    private static byte[] Without(string name) => With(name);

    private static AcceptedHandshake Accept(byte[] request, ServerHandshakePolicy? policy = null)
    {
        var result = ServerHandshake.Accept(request, policy ?? new ServerHandshakePolicy());
        Assert.True(result.IsComplete, result.Violation?.ToString());
        Assert.Null(result.Violation);
        return result.Value;
    }

    /// <summary>Checks the kind of the violation and the HTTP status of the rejection built from it.</summary>
    private static HandshakeRejection Reject(byte[] request, ViolationKind kind, int status, ServerHandshakePolicy? policy = null)
    {
        var result = ServerHandshake.Accept(request, policy ?? new ServerHandshakePolicy());
        Assert.Equal(ProtocolStatus.Violation, result.Status);
        Assert.Null(result.Value);
        Assert.Equal(kind, result.Violation!.Kind);
        var rejection = new HandshakeRejection(result.Violation);
        Assert.Equal(kind, rejection.Kind);
        Assert.Equal(status, rejection.StatusCode);
        Assert.Equal(result.Violation.Reason, rejection.Reason);
        return rejection;
    }

    [Fact]
    public void Accept_value_for_the_rfc_sample_key_is_the_rfc_value()
    {
        // §1.3 and §4.2.2 step 5.4.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Handshake.ComputeAccept(SampleKey));
    }

    [Fact]
    public void Valid_request_is_accepted_with_a_101_response()
    {
        var accepted = Accept(ValidRequest());
        Assert.Equal("/chat", accepted.Target);
        Assert.Equal(SampleKey, accepted.Key);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accepted.Accept);
        Assert.Equal("http://example.com", accepted.Origin);

        var response = Encoding.ASCII.GetString(accepted.Response);
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response);
        Assert.EndsWith("\r\n\r\n", response);
        var head = HttpHead.Parse(accepted.Response).Value;
        Assert.NotNull(head);
        Assert.True(head.HasToken("Upgrade", "websocket"));
        Assert.True(head.HasToken("Connection", "Upgrade"));
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head["Sec-WebSocket-Accept"]);
    }

    [Fact]
    public void Request_without_a_key_is_rejected_with_400()
    {
        Reject(Without("Sec-WebSocket-Key"), ViolationKind.KeyMissing, 400);
    }

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]        // 16 bytes but unpadded: not 24 characters
    [InlineData("dGhlIHNhbXBsZSBub25jZSE=")]      // 17 bytes
    [InlineData("dGhlIHNhbXBsZSBub25j")]          // 15 bytes
    [InlineData("dGhlIHNhbXBsZSBub25jZSEh")]      // 18 bytes, 24 characters
    [InlineData("not base64 at all!!!!!!=")]
    [InlineData("")]
    public void Request_with_a_key_that_is_not_16_bytes_is_rejected_with_400(string key)
    {
        // §4.2.1 item 5: "when decoded, is 16 bytes in length".
        Reject(With("Sec-WebSocket-Key", key), ViolationKind.KeyInvalid, 400);
        Assert.False(Handshake.IsValidKey(key));
    }

    [Fact]
    public void Request_with_two_keys_is_rejected_with_400()
    {
        // §11.3.1: Sec-WebSocket-Key "MUST NOT appear more than once in an HTTP request".
        Reject(With("Sec-WebSocket-Key", SampleKey, "AQIDBAUGBwgJCgsMDQ4PEA=="), ViolationKind.KeyDuplicated, 400);
    }

    [Fact]
    public void Request_for_version_8_is_rejected_with_426_naming_version_13()
    {
        // §4.4: answer with the versions we support.
        var rejection = Reject(With("Sec-WebSocket-Version", "8"), ViolationKind.UnsupportedVersion, 426);
        Assert.Contains(KeyValuePair.Create("Sec-WebSocket-Version", "13"), rejection.Headers!);
        var response = Encoding.UTF8.GetString(rejection.ToResponse());
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", response);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", response);
        // RFC 9110 §15.5.22: every 426 names the protocol to upgrade to.
        Assert.Contains("\r\nUpgrade: websocket\r\n", response);
    }

    [Fact]
    public void Request_without_a_version_is_rejected_with_426()
    {
        var rejection = Reject(Without("Sec-WebSocket-Version"), ViolationKind.UnsupportedVersion, 426);
        Assert.Contains(KeyValuePair.Create("Sec-WebSocket-Version", "13"), rejection.Headers!);
    }

    [Fact]
    public void Post_is_rejected_with_405()
    {
        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
        var rejection = Reject(Request("POST /chat HTTP/1.1", ValidLines), ViolationKind.MethodNotGet, 405);
        Assert.Contains(KeyValuePair.Create("Allow", "GET"), rejection.Headers!);
    }

    [Fact]
    public void Http_1_0_is_rejected()
    {
        Reject(Request("GET /chat HTTP/1.0", ValidLines), ViolationKind.HttpVersionTooOld, 400);
    }

    [Fact]
    public void Request_without_upgrade_is_rejected()
    {
        // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
        var rejection = Reject(Without("Upgrade"), ViolationKind.UpgradeMissing, 426);
        Assert.Contains(KeyValuePair.Create("Upgrade", "websocket"), rejection.Headers!);
        Reject(With("Upgrade", "h2c"), ViolationKind.UpgradeMissing, 426);
    }

    [Fact]
    public void Connection_without_the_upgrade_token_is_rejected_with_400()
    {
        Reject(With("Connection", "keep-alive"), ViolationKind.ConnectionUpgradeMissing, 400);
        Reject(Without("Connection"), ViolationKind.ConnectionUpgradeMissing, 400);
    }

    [Fact]
    public void Connection_as_a_comma_list_with_upgrade_is_accepted()
    {
        // Firefox sends "Connection: keep-alive, Upgrade".
        Accept(With("Connection", "keep-alive, Upgrade"));
        Accept(With("Connection", "keep-alive,upgrade"));
        Accept(With("Connection", "keep-alive", "Upgrade"));
    }

    [Fact]
    public void Upgrade_token_is_case_insensitive()
    {
        // §4.2.1 item 3: "an |Upgrade| header field containing the value "websocket", treated as an
        // ASCII case-insensitive value".
        Accept(With("Upgrade", "WebSocket"));
        Accept(With("upgrade", "WEBSOCKET"));
    }

    [Fact]
    public void Request_without_host_is_rejected_with_400()
    {
        Reject(Without("Host"), ViolationKind.HostMissing, 400);
        Reject(With("Host", "a.example", "b.example"), ViolationKind.HostDuplicated, 400);
    }

    [Fact]
    public void Wrong_path_is_rejected_with_404()
    {
        var policy = new ServerHandshakePolicy(Path: "/chat");
        Accept(ValidRequest("/chat"), policy);
        Accept(ValidRequest("/chat?room=1"), policy);
        Reject(ValidRequest("/other"), ViolationKind.PathNotFound, 404, policy);
    }

    [Fact]
    public void Disallowed_origin_is_rejected_with_403()
    {
        // §4.2.2 / §10.2: a server may refuse origins it does not serve.
        var policy = new ServerHandshakePolicy(AllowedOrigins: new HashSet<string> { "http://example.com" });
        Accept(ValidRequest(), policy);
        Reject(With("Origin", "http://evil.example"), ViolationKind.OriginNotAllowed, 403, policy);
        Reject(Without("Origin"), ViolationKind.OriginNotAllowed, 403, policy);
    }

    [Fact]
    public void Malformed_request_line_is_rejected_with_400()
    {
        Reject(Request("GET /chat", ValidLines), ViolationKind.MalformedHead, 400);
        Reject(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nbroken line\r\n\r\n"), ViolationKind.MalformedHead, 400);
    }

    [Fact]
    public void Rejection_response_is_a_complete_http_response_with_a_readable_body()
    {
        var rejection = Reject(Without("Host"), ViolationKind.HostMissing, 400);
        var bytes = rejection.ToResponse();
        var text = Encoding.UTF8.GetString(bytes);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = HttpHead.Parse(bytes.AsSpan(0, end + 4)).Value;
        Assert.NotNull(head);
        Assert.Equal("HTTP/1.1 400 Bad Request", head.StartLine);
        var body = text[(end + 4)..];
        Assert.Equal(int.Parse(head["Content-Length"]!), Encoding.UTF8.GetByteCount(body));
        Assert.Equal(rejection.Reason + "\n", body);
    }
}
