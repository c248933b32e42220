using System.Net;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;

namespace ActorWs.Logging;

/// <summary>
/// The one observer of a connection's (or a server's, or a client's) life: each actor tells it what
/// happened at its edge — bytes in, a frame out, a state change, a child that failed — and it turns
/// that into the <see cref="LifecycleEvent"/>s the demo prints and the tests follow. Every sentence of
/// the teaching log is written here, so the actors read as protocol code.
/// <para>Off (<c>actorws.trace-lifecycle = off</c>) every method returns at its first branch, before
/// any text is built: the actors pass what happened, never a formatted message.</para>
/// </summary>
internal sealed class LifecycleTrace(ActorSystem system, Role side, string connection, bool enabled)
{
    /// <summary>A trace that publishes nothing.</summary>
    public static LifecycleTrace Off(ActorSystem system, Role side) => new(system, side, "", false);

    public bool Enabled { get; } = enabled;

    // Stamped and published as one step (LifecycleOrder): an observer sees the events in time order.
    private void Emit(Direction direction, TraceCategory category, string message, Dictionary<string, object>? facts = null) =>
        LifecycleOrder.Stamped(now => system.EventStream.Publish(new LifecycleEvent(now, side, direction, category, message, connection) { Facts = facts }));

    private static string Address(EndPoint? endpoint) => LifecycleEvent.Address(endpoint);

    /// <summary>A connection's children in the order they do their work (a fixed order, not the
    /// order Akka happens to list them in): handshake, reader, writer, pinger, close, handler.</summary>
    public static IEnumerable<IActorRef> InTreeOrder(IEnumerable<IActorRef> children) =>
        children.OrderBy(c => Array.IndexOf(TreeOrder, c.Path.Name) is var i and >= 0 ? i : TreeOrder.Length)
                .ThenBy(c => c.Path.Name, StringComparer.Ordinal);

    private static readonly string[] TreeOrder = ["handshake", "reader", "writer", "pinger", "close", "handler"];

    private static Dictionary<string, object> State(string state) => new() { ["state"] = state };

    // ------------------------------------------------------------------ server (TCP)

    public void Listening(EndPoint local, object capacity)
    {
        if (!Enabled)
            return;
        Emit(Direction.Local, TraceCategory.Tcp, $"listening on {Address(local)}");
        Emit(Direction.Local, TraceCategory.Tcp, $"{capacity}");
    }

    public void StoppedListening()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "stopped listening");
    }

    /// <summary>Refusals or failed accepts, reported once a second while they last.</summary>
    public void ServerTrouble(string what)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, what);
    }

    public void ServerTroubleEnded(string what)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, what);
    }

    /// <summary>The server's TLS: the certificate it presents and the versions it accepts.</summary>
    public void TlsServing(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, System.Security.Authentication.SslProtocols protocols)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tls, $"wss://: certificate '{certificate.Subject}' (valid to {certificate.NotAfter.ToUniversalTime():u}), {TlsVersions(protocols)}");
    }

    private static string TlsVersions(System.Security.Authentication.SslProtocols protocols) =>
        string.Join(" and ", new[] { (System.Security.Authentication.SslProtocols.Tls12, "TLS 1.2"), (System.Security.Authentication.SslProtocols.Tls13, "TLS 1.3") }
            .Where(p => protocols.HasFlag(p.Item1)).Select(p => p.Item2));

    // ------------------------------------------------------------------ connection

    public void TcpAccepted(EndPoint? remote)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, $"new connection from {Address(remote)}");
    }

    public void Connecting()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.State, "CONNECTING", State("CONNECTING"));
    }

    public void TcpConnected(EndPoint? remote, EndPoint? local)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, $"connected to {Address(remote)} from {Address(local)}");
    }

    /// <summary>The TLS handshake completed (before the opening handshake, RFC 6455 §4.1): what was agreed, and who the peer is.</summary>
    public void TlsEstablished(System.Security.Authentication.SslProtocols protocol, System.Net.Security.TlsCipherSuite cipherSuite, string peerCertificate, string? alpn)
    {
        if (!Enabled)
            return;
        var version = protocol switch
        {
            System.Security.Authentication.SslProtocols.Tls13 => "TLS 1.3",
            System.Security.Authentication.SslProtocols.Tls12 => "TLS 1.2",
            _ => protocol.ToString(),
        };
        var peer = side == Role.Client ? $"server certificate '{peerCertificate}'"
            : peerCertificate == "none" ? "no client certificate" : $"client certificate '{peerCertificate}'";
        Emit(Direction.Local, TraceCategory.Tls, $"TLS handshake complete: {version}, {cipherSuite}, {peer}{(alpn is null ? "" : $", ALPN {alpn}")}");
    }

    /// <summary>The TLS handshake failed: why, in the words of <see cref="TlsFailedException"/>.</summary>
    public void TlsFailed(TlsFailedException failure)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tls, $"TLS handshake failed ({failure.Reason}): {failure.Message}");
    }

    public void Open(IActorRef connection, IEnumerable<IActorRef> children)
    {
        if (!Enabled)
            return;
        Emit(Direction.Local, TraceCategory.State, "OPEN", State("OPEN"));
        var names = InTreeOrder(children).Select(c => c.Path.Name).ToArray();
        var path = connection.Path.ToStringWithoutAddress();
        Emit(Direction.Local, TraceCategory.Actor, $"connection tree: {path} with {string.Join(", ", names)} (the handshake child has stopped; reader, pinger and close start when their work does)",
            new() { ["path"] = path, ["children"] = names });
    }

    /// <summary>A child of the connection started after OPEN, when its work began.</summary>
    public void ChildStarted(IActorRef child, string why)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Actor, $"started {child.Path.ToStringWithoutAddress()}: {why}",
                new() { ["path"] = child.Path.ToStringWithoutAddress(), ["child"] = child.Path.Name, ["started"] = true });
    }

    /// <summary>A child of the connection stopped because its work was done (the pinger at its pong).</summary>
    public void ChildDone(IActorRef child, string why)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Actor, $"stopped {child.Path.ToStringWithoutAddress()}: {why}",
                new() { ["path"] = child.Path.ToStringWithoutAddress(), ["child"] = child.Path.Name });
    }

    public void AbortedByApplication()
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, "aborted by the application");
    }

    /// <summary>The connection's supervisor decided: the child is stopped and the connection closes with <paramref name="code"/>.</summary>
    public void ChildFailed(IActorRef child, Exception failure, ushort code)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Actor, $"child '{child.Path.Name}' failed: {failure.GetType().Name}: {failure.Message} -> supervisor: Stop '{child.Path.Name}', close with {code} ({CloseCodes.Describe(code)})",
                new() { ["path"] = child.Path.ToStringWithoutAddress(), ["child"] = child.Path.Name, ["exception"] = failure.GetType().Name,
                        ["error"] = failure.Message, ["directive"] = "Stop", ["code"] = (int)code });
    }

    public void Closed(WebSocket.Closed closed)
    {
        if (!Enabled)
            return;
        Emit(Direction.Local, TraceCategory.State, closed.WasClean ? "CLOSING -> CLOSED" : "CLOSED", State("CLOSED"));
        Emit(closed.WasClean ? Direction.Local : Direction.Error, TraceCategory.State,
            $"closed with {closed.Code} ({CloseCodes.Describe(closed.Code)}), wasClean={closed.WasClean}{(closed.Reason.Length > 0 ? $": {closed.Reason}" : "")}",
            new() { ["state"] = "CLOSED", ["code"] = (int)closed.Code, ["reason"] = closed.Reason, ["wasClean"] = closed.WasClean });
    }

    public void PlainHttpEnded(string how)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.State, $"CONNECTING -> CLOSED: {how}; TCP closed after the response (RFC 9112 §9.6)", State("CLOSED"));
    }

    public void StoppingChild(IActorRef child)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Actor, $"stopping {child.Path.ToStringWithoutAddress()}", new() { ["path"] = child.Path.ToStringWithoutAddress() });
    }

    // ------------------------------------------------------------------ opening handshake (§4)

    public void KeyDrawn(string key)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Handshake, $"Sec-WebSocket-Key={key} (16 random bytes, RFC 6455 §4.1)");
    }

    public void RequestSent(byte[] request, IReadOnlyList<string> subprotocols)
    {
        if (!Enabled)
            return;
        var line = Encoding.ASCII.GetString(request).Split("\r\n")[0];
        Emit(Direction.Sent, TraceCategory.Http, $"{line} (upgrade request, {request.Length} bytes{Offer(subprotocols)})");
    }

    /// <summary>", subprotocols offered: a, b" or nothing (§4.1 item 10).</summary>
    private static string Offer(IReadOnlyList<string> subprotocols) =>
        subprotocols.Count == 0 ? "" : $", subprotocols offered: {string.Join(", ", subprotocols)}";

    /// <summary>The client's permessage-deflate offer (RFC 7692 §5.1), sent in its request.</summary>
    public void DeflateOffered(string offer)
    {
        if (Enabled)
            Emit(Direction.Sent, TraceCategory.Handshake, $"Sec-WebSocket-Extensions: {offer} (permessage-deflate offered, RFC 7692 §5.1)");
    }

    /// <summary>The permessage-deflate agreement (RFC 7692 §7.1), or none, and why offers were declined.</summary>
    public void DeflateNegotiated(DeflateParameters? agreed, IReadOnlyList<string> declined, bool offered)
    {
        if (!Enabled)
            return;
        foreach (var why in declined)
            Emit(Direction.Local, TraceCategory.Handshake, $"permessage-deflate offer declined: {why}");
        if (agreed is not null)
            Emit(Direction.Local, TraceCategory.Handshake, $"permessage-deflate agreed: {agreed} (RFC 7692 §7.1)",
                new() { ["extension"] = agreed.ToString() });
        else if (offered)
            Emit(Direction.Local, TraceCategory.Handshake, "permessage-deflate not agreed: messages go uncompressed");
    }

    /// <summary>A message compressed before framing (RFC 7692 §7.2.1).</summary>
    public void MessageCompressed(Opcode opcode, int uncompressed, int compressed)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Frame, $"{opcode.Name()} message compressed: {uncompressed} -> {compressed} bytes (RSV1, RFC 7692 §7.2.1)",
                new() { ["uncompressed"] = uncompressed, ["compressed"] = compressed });
    }

    /// <summary>A compressed message inflated on receipt (RFC 7692 §7.2.2).</summary>
    public void MessageInflated(long compressed, int inflated)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Frame, $"message inflated: {compressed} -> {inflated} bytes (RFC 7692 §7.2.2)",
                new() { ["compressed"] = compressed, ["uncompressed"] = inflated });
    }

    public void RequestReceived(int bytes)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.Http, $"upgrade request received ({bytes} bytes)");
    }

    public void RequestRead(HttpRequestView request)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.Http,
                $"{request.Method} {HttpHead.Printable(request.Target)} {request.HttpVersion}{(request.IsWebSocketUpgrade ? "" : " (no WebSocket upgrade: plain HTTP)")}{Offer(request.Subprotocols)}",
                new() { ["target"] = HttpHead.Printable(request.Target), ["upgrade"] = request.IsWebSocketUpgrade });
    }

    public void DecisionAsked(string decider, bool isUpgrade)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Http, $"asking {decider} to decide the {(isUpgrade ? "upgrade" : "request")}");
    }

    public void DecisionMade(string decision)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Http, $"decision: {decision}");
    }

    public void KeyAccepted(string key, string accept)
    {
        if (!Enabled)
            return;
        Emit(Direction.Local, TraceCategory.Handshake, $"Sec-WebSocket-Key={key}");
        Emit(Direction.Local, TraceCategory.Handshake, $"Sec-WebSocket-Accept={accept} (base64 SHA-1 of key + GUID, RFC 6455 §4.2.2)");
    }

    public void SwitchingProtocolsSent(int bytes, IReadOnlyList<string> offered, string? subprotocol)
    {
        if (Enabled)
            Emit(Direction.Sent, TraceCategory.Http, $"101 Switching Protocols ({bytes} bytes{Agreed(offered.Count > 0, subprotocol)}): handshake complete");
    }

    /// <summary>", subprotocol 'a'" when one was chosen; ", no subprotocol chosen" when some were offered and none was (§4.2.2).</summary>
    private static string Agreed(bool offered, string? subprotocol) =>
        subprotocol is not null ? $", subprotocol '{subprotocol}'" : offered ? ", no subprotocol chosen" : "";

    public void ResponseReceived(int bytes)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.Http, $"response received ({bytes} bytes)");
    }

    public void AcceptVerified(string accept, IReadOnlyList<string> offered, string? subprotocol)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Handshake, $"Sec-WebSocket-Accept verified: {accept} (RFC 6455 §4.1){Agreed(offered.Count > 0, subprotocol)}");
    }

    public void RefusedByServer(HandshakeRefusal refusal)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Http, $"<- {refusal} (the server refused the upgrade, RFC 6455 §4.1)");
    }

    public void HandshakeFailed(string reason)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Handshake, $"handshake failed: {reason}");
    }

    public void HandshakeRefused(HandshakeRejection rejection)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Http, $"-> {rejection} (handshake refused)");
    }

    // ------------------------------------------------------------------ reading (§5, §6.2)

    public void FrameReceived(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.Frame, DescribeFrame(header, payload), FrameFacts(header, payload));
    }

    public void PingAnswered(ReadOnlySpan<byte> payload)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Ping, $"ping {Preview(payload, 20)} answered with an identical pong (RFC 6455 §5.5.2)");
    }

    public void TextDelivered(string text)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.App, $"'{text}'");
    }

    public void BinaryDelivered(int length)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.App, $"{length} bytes of binary");
    }

    public void LentDelivered(MessageType type, int length)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.App, $"{length} bytes of {(type == MessageType.Text ? "text" : "binary")}, lent");
    }

    public void PartDelivered(MessageType type, int length, bool isLast)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.App, $"{length} bytes of a streamed {(type == MessageType.Text ? "text" : "binary")} message{(isLast ? ", its last part" : "")}");
    }

    public void DemandUsedUp(int waiting)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, $"handler's demand used up, {waiting} parsed messages wait for more: reading paused");
    }

    public void DemandArrived()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "handler asked for more: reading resumed");
    }

    public void ReadingPaused(long waiting)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, $"{waiting} messages handed to the handler not yet known handled: reading paused");
    }

    public void ReadingResumed()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "handler caught up: reading resumed");
    }

    // ------------------------------------------------------------------ writing

    public void TextSent(string text)
    {
        if (Enabled)
            Emit(Direction.Sent, TraceCategory.App, text);
    }

    /// <summary>A frame about to go out; <paramref name="payload"/> unmasked, for the preview.</summary>
    public void FrameSent(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (Enabled)
            Emit(Direction.Sent, TraceCategory.Frame, $"opcode={header.Opcode.Name()}{((header.Rsv & PerMessageDeflate.Rsv1) != 0 ? " RSV1=1" : "")} len={payload.Length}{(header.Masked ? " MASKED=1" : "")}", FrameFacts(header, payload));
    }

    private static Dictionary<string, object> FrameFacts(in FrameHeader header, ReadOnlySpan<byte> payload) => new()
    {
        ["opcode"] = header.Opcode.Name(),
        ["fin"] = header.Fin,
        ["rsv"] = (int)header.Rsv,
        ["masked"] = header.Masked,
        ["length"] = header.PayloadLength,
        ["payload"] = Preview(payload, 20),
    };

    public void NotSentAfterClose(Opcode opcode)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Frame, $"{opcode.Name()} not sent: our close frame is already out (RFC 6455 §5.5.1)");
    }

    // ------------------------------------------------------------------ keep-alive (§5.5.2, §5.5.3)

    public void PingSent(long sequence, TimeSpan pongTimeout)
    {
        if (Enabled)
            Emit(Direction.Sent, TraceCategory.Ping, $"ping #{sequence} (pong expected within {pongTimeout.TotalSeconds:0.###} s)");
    }

    public void PongReceived(ReadOnlySpan<byte> payload)
    {
        if (Enabled)
            Emit(Direction.Received, TraceCategory.Ping, $"pong {Preview(payload, 20)}: peer alive");
    }

    // ------------------------------------------------------------------ closing (§7)

    /// <summary>"OPEN -> CLOSING" and the like: the state is the last word.</summary>
    public void StateChanged(string change)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.State, change, State(change.Split(' ')[^1]));
    }

    public void PeerClosedFirst(CloseStatus status)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Frame, $"close {status} received first: replying with a close frame (RFC 6455 §5.5.1)");
    }

    public void PeerAnsweredOurClose(CloseStatus status)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Frame, $"close {status} received after ours: the closing handshake is complete, no reply (RFC 6455 §5.5.1)");
    }

    public void NotWaitingForThePeersClose()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "the reader failed: not waiting for the peer's close frame (RFC 6455 §7.1.7)");
    }

    public void WaitingForServerFin()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "waiting for the server to close TCP first (RFC 6455 §7.1.1)");
    }

    public void ServerClosesTcpFirst()
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Tcp, "server closes TCP first, keeping TIME_WAIT on its side (RFC 6455 §7.1.1)");
    }

    public void TcpClosed(bool finFromServer)
    {
        if (!Enabled)
            return;
        if (finFromServer)
            Emit(Direction.Received, TraceCategory.Tcp, "FIN from the server: closing our side");
        Emit(Direction.Local, TraceCategory.Tcp, "TCP connection closed");
    }

    public void ServerDidNotCloseTcp(TimeSpan finWait)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, $"the server did not close TCP within {finWait.TotalSeconds:0.###} s: closing it ourselves (RFC 6455 §7.1.1)");
    }

    public void LostAfterOurClose(CloseStatus ours, string why)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, $"connection lost after our close {ours}: {why}");
    }

    public void Lost(string why)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, $"connection lost: {why} (1006, reported locally, never sent: RFC 6455 §7.1.5)");
    }

    public void AbortingTcp(string why)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Tcp, $"aborting TCP: {why}");
    }

    // ------------------------------------------------------------------ reconnect (§7.2.3)

    public void ConnectionLost(WebSocket.Closed closed)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Actor, $"{closed}: the ReconnectSupervisor restarts the connection (stops this connection actor, starts a new one after the delay)");
    }

    public void ConnectionActorFailed(Exception failure)
    {
        if (Enabled)
            Emit(Direction.Error, TraceCategory.Actor, $"connection actor failed: {failure.GetType().Name}: {failure.Message} -> ReconnectSupervisor: Stop, no reconnect");
    }

    /// <summary>Reconnect <paramref name="attempt"/> waits <paramref name="delay"/>: a random first
    /// one, or <paramref name="firstDelay"/> doubled with jitter.</summary>
    public void ReconnectScheduled(int attempt, TimeSpan delay, TimeSpan firstDelay, WebSocketSettings settings)
    {
        if (!Enabled)
            return;
        var rule = attempt == 1
            ? $"random first delay in {settings.ReconnectMinBackoff.TotalSeconds:0.00}–{settings.ReconnectFirstDelayMax.TotalSeconds:0.00} s"
            : $"the first delay, {firstDelay.TotalSeconds:0.00} s, doubling with jitter up to {settings.ReconnectMaxBackoff.TotalSeconds:0.###} s";
        Emit(Direction.Local, TraceCategory.Retry, $"reconnect #{attempt} in {delay.TotalSeconds:0.00} s ({rule}; RFC 6455 §7.2.3)",
            new() { ["attempt"] = attempt, ["delayMs"] = (long)delay.TotalMilliseconds });
    }

    public void ConnectionStable(TimeSpan resetAfter)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Retry, $"connection up for {resetAfter.TotalSeconds:0.###} s: a later reconnect starts again from a random first delay");
    }

    public void ClientStopsWhileWaiting(string why)
    {
        if (Enabled)
            Emit(Direction.Local, TraceCategory.Retry, $"{why}: the client stops");
    }

    // ------------------------------------------------------------------ formatting

    /// <summary>The reference's frame line: header fields and a short payload preview in Python's
    /// bytes notation, so text and binary read alike.</summary>
    public static string DescribeFrame(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var sb = new StringBuilder();
        sb.Append("opcode=").Append(header.Opcode.Name())
          .Append(" fin=").Append(header.Fin ? 1 : 0)
          .Append(" masked=").Append(header.Masked ? 1 : 0);
        if (header.Rsv != 0) // RSV1: a compressed message (RFC 7692 §6)
            sb.Append(" rsv1=").Append((header.Rsv & PerMessageDeflate.Rsv1) != 0 ? 1 : 0);
        sb.Append(" len=").Append(header.PayloadLength);
        if (payload.Length > 0)
            sb.Append(" payload=").Append(Preview(payload, 20));
        return sb.ToString();
    }

    public static string Preview(ReadOnlySpan<byte> bytes, int max)
    {
        var sb = new StringBuilder("b'");
        foreach (byte b in bytes[..Math.Min(max, bytes.Length)])
        {
            if (b == (byte)'\'' || b == (byte)'\\')
                sb.Append('\\').Append((char)b);
            else if (b >= 0x20 && b < 0x7F)
                sb.Append((char)b);
            else
                sb.Append("\\x").Append(b.ToString("x2"));
        }
        sb.Append('\'');
        if (bytes.Length > max)
            sb.Append("...");
        return sb.ToString();
    }
}
