using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>Requests and responses for the tests of the application's door (request view,
/// subprotocols, extensions, plain HTTP answers, refusals); the RFC's sample key and accept are
/// the kit's (<c>Wire.SampleKey</c>, <c>Wire.SampleAccept</c>).</summary>
internal static class DoorRequests
{
    /// <summary>A head: the start line, the lines, the empty line.</summary>
    public static byte[] Head(string startLine, params IEnumerable<string> lines) =>
        Encoding.Latin1.GetBytes(startLine + "\r\n" + string.Concat(lines.Select(l => l + "\r\n")) + "\r\n");

    /// <summary>The sample upgrade request of RFC 6455 §1.3 without its subprotocol line, plus <paramref name="extra"/>.</summary>
    public static byte[] Upgrade(string target = "/chat", params IEnumerable<string> extra) =>
        Head($"GET {target} HTTP/1.1", SampleUpgradeLines.Concat(extra));

    /// <summary>The header lines of RFC 6455 §1.3's sample upgrade request, without its subprotocol line.</summary>
    public static readonly string[] SampleUpgradeLines =
    [
        "Host: server.example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        $"Sec-WebSocket-Key: {SampleKey}",
        "Origin: http://example.com",
        "Sec-WebSocket-Version: 13",
    ];

    /// <summary>The view of a head, which must be well-formed.</summary>
    public static HttpRequestView View(byte[] head)
    {
        var view = HttpRequestView.Parse(head);
        Assert.True(view.IsComplete, view.Violation?.ToString());
        return view.Value;
    }

    /// <summary>The rule a request head breaks, read as a view.</summary>
    public static ProtocolViolation ViewViolation(byte[] head)
    {
        var view = HttpRequestView.Parse(head);
        Assert.Equal(ProtocolStatus.Violation, view.Status);
        return view.Violation!;
    }

    /// <summary>A valid upgrade, validated with an empty policy.</summary>
    public static PendingUpgrade Pending(byte[] head)
    {
        var upgrade = ServerHandshake.Validate(View(head), new ServerHandshakePolicy());
        Assert.True(upgrade.IsComplete, upgrade.Violation?.ToString());
        return upgrade.Value;
    }

    /// <summary>A response cut as a client reads it: the head (by <see cref="HttpHeadReader"/>) and the bytes after it.</summary>
    public static (HttpHead Head, byte[] After) SplitResponse(byte[] response)
    {
        using var reader = new HttpHeadReader(64 * 1024, HttpHeadKind.Response);
        var read = reader.Feed(response);
        Assert.True(read.IsComplete, read.Violation?.ToString());
        var head = HttpHead.Parse(read.Value);
        Assert.True(head.IsComplete, head.Violation?.ToString());
        return (head.Value, response[read.Consumed..]);
    }

    /// <summary>A 101 for <paramref name="client"/>'s key, with the extra lines.</summary>
    public static byte[] SwitchingProtocols(ClientHandshake client, params IEnumerable<string> extra) => Head("HTTP/1.1 101 Switching Protocols",
        new[] { "Upgrade: websocket", "Connection: Upgrade", $"Sec-WebSocket-Accept: {client.ExpectedAccept}" }.Concat(extra));
}
