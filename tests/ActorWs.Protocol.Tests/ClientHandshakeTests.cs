using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>The client's side of the opening handshake, RFC 6455 §4.1.</summary>
public class ClientHandshakeTests
{
    private static HttpHead ParseRequest(ClientHandshake handshake)
    {
        var parsed = HttpHead.Parse(handshake.Request);
        Assert.True(parsed.IsComplete, parsed.Violation?.Reason);
        return parsed.Value;
    }

    /// <summary>The rule the response breaks, or null when the client accepts it.</summary>
    private static ViolationKind? Check(ClientHandshake client, ReadOnlySpan<byte> response) => client.Validate(response).Violation?.Kind;

    private static byte[] Response(ClientHandshake client, string? status = null, string? upgrade = "websocket",
        string? connection = "Upgrade", string? accept = null, params string[] extra)
    {
        var sb = new StringBuilder();
        sb.Append(status ?? "HTTP/1.1 101 Switching Protocols").Append("\r\n");
        if (upgrade is not null)
            sb.Append("Upgrade: ").Append(upgrade).Append("\r\n");
        if (connection is not null)
            sb.Append("Connection: ").Append(connection).Append("\r\n");
        sb.Append("Sec-WebSocket-Accept: ").Append(accept ?? client.ExpectedAccept).Append("\r\n");
        foreach (var line in extra)
            sb.Append(line).Append("\r\n");
        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    [Fact]
    public void Request_has_a_fresh_16_byte_key_each_time()
    {
        // §4.1 item 7: "a randomly selected 16-byte value ... base64-encoded", "MUST be selected randomly for each connection".
        var keys = Enumerable.Range(0, 100).Select(_ => ClientHandshake.Create(new Uri("ws://example.com/chat"))).ToList();
        Assert.Equal(100, keys.Select(k => k.Key).Distinct().Count());
        foreach (var handshake in keys)
        {
            Assert.Equal(16, Convert.FromBase64String(handshake.Key).Length);
            Assert.True(Handshake.IsValidKey(handshake.Key));
            Assert.Equal(handshake.Key, ParseRequest(handshake)["Sec-WebSocket-Key"]);
            Assert.Equal(Handshake.ComputeAccept(handshake.Key), handshake.ExpectedAccept);
        }
    }

    [Fact]
    public void Request_is_a_get_with_the_headers_the_rfc_requires()
    {
        var handshake = ClientHandshake.Create(new Uri("ws://example.com/chat?room=7"), origin: "http://example.com");
        var head = ParseRequest(handshake);
        Assert.Equal("GET /chat?room=7 HTTP/1.1", head.StartLine);
        Assert.Equal("example.com", head["Host"]);
        Assert.True(head.HasToken("Upgrade", "websocket"));
        Assert.True(head.HasToken("Connection", "Upgrade"));
        Assert.Equal("13", head["Sec-WebSocket-Version"]);
        Assert.Equal("http://example.com", head["Origin"]);
    }

    [Theory]
    [InlineData("ws://example.com:8080/chat", "example.com:8080")]
    [InlineData("ws://example.com:80/chat", "example.com")]
    [InlineData("ws://127.0.0.1:9001", "127.0.0.1:9001")]
    [InlineData("ws://[::1]:9001/", "[::1]:9001")]
    [InlineData("ws://[::1]/", "[::1]")]
    [InlineData("wss://example.com/chat", "example.com")]
    [InlineData("wss://example.com:443/chat", "example.com")]
    [InlineData("wss://example.com:8443/chat", "example.com:8443")]
    [InlineData("wss://[::1]:9443/", "[::1]:9443")]
    public void Host_header_carries_the_port_unless_it_is_the_default(string uri, string host)
    {
        // §4.1 item 4: Host is the host, plus ":" and the port when not the default.
        var head = ParseRequest(ClientHandshake.Create(new Uri(uri)));
        Assert.Equal(host, head["Host"]);
        Assert.StartsWith("GET /", head.StartLine);
    }

    [Fact]
    public void Unsupported_uris_are_refused()
    {
        // wss:// is the same request inside TLS (§3); another scheme has no WebSocket meaning.
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(new Uri("ftp://example.com/")));
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(new Uri("ws://example.com/#frag")));
    }

    [Fact]
    public void Request_passes_the_server_check_and_the_server_response_passes_the_client_check()
    {
        var client = ClientHandshake.Create(new Uri("ws://localhost:5000/ws"));
        var accepted = ServerHandshake.Accept(client.Request, new ServerHandshakePolicy("/ws"));
        Assert.True(accepted.IsComplete, accepted.Violation?.ToString());
        Assert.Null(Check(client, accepted.Value.Response));
    }

    [Fact]
    public void Valid_response_is_accepted_case_insensitively()
    {
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        var validated = client.Validate(Response(client));
        Assert.True(validated.IsComplete, validated.Violation?.Reason);
        Assert.Equal("HTTP/1.1 101 Switching Protocols", validated.Value.Head.StartLine);
        Assert.Null(Check(client, Response(client, upgrade: "WebSocket", connection: "upgrade")));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK")]
    [InlineData("HTTP/1.1 403 Forbidden")]
    [InlineData("HTTP/1.1 426 Upgrade Required")]
    public void Status_other_than_101_fails_the_connection(string statusLine)
    {
        // §4.1: "If the status code received from the server is not 101, the client handles the
        // response per HTTP procedures" — it is not a WebSocket connection.
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.StatusNot101, Check(client, Response(client, status: statusLine)));
    }

    [Fact]
    public void Response_without_upgrade_fails_the_connection()
    {
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.ResponseUpgradeMissing, Check(client, Response(client, upgrade: null)));
        Assert.Equal(ViolationKind.ResponseUpgradeMissing, Check(client, Response(client, upgrade: "h2c")));
    }

    [Fact]
    public void Response_without_connection_upgrade_fails_the_connection()
    {
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.ResponseConnectionUpgradeMissing, Check(client, Response(client, connection: null)));
        Assert.Equal(ViolationKind.ResponseConnectionUpgradeMissing, Check(client, Response(client, connection: "close")));
    }

    [Fact]
    public void Wrong_accept_fails_the_connection()
    {
        // §4.1 item 4 of the client's checks: the Accept must be base64(SHA-1(key + GUID)).
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        var other = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.AcceptMismatch, Check(client, Response(client, accept: other.ExpectedAccept)));
        Assert.Equal(ViolationKind.AcceptMismatch, Check(client, Response(client, accept: client.Key)));
    }

    [Fact]
    public void Unrequested_extension_or_subprotocol_fails_the_connection()
    {
        // §4.1 items 5 and 6: the client asked for none.
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.UnrequestedExtension, Check(client, Response(client, extra: "Sec-WebSocket-Extensions: permessage-deflate")));
        Assert.Equal(ViolationKind.UnrequestedSubprotocol, Check(client, Response(client, extra: "Sec-WebSocket-Protocol: chat")));
    }

    [Fact]
    public void Garbage_response_fails_the_connection()
    {
        var client = ClientHandshake.Create(new Uri("ws://example.com/"));
        Assert.Equal(ViolationKind.MalformedHead, Check(client, "SSH-2.0-OpenSSH\r\n\r\n"u8));
        Assert.Equal(ViolationKind.MalformedHead, Check(client, "\r\n\r\n"u8));
    }
}
