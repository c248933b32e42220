using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Connection;

/// <summary>
/// The opening handshake for one role (RFC 6455 §4). Server: reads the client's request, puts it to
/// the application's <see cref="UpgradeDecider"/> if there is one, and answers 101, an HTTP error
/// or a plain HTTP response. Client: sends the request, checks the server's 101, or reads the
/// refusal's body so that the application learns why. Either way it gives up at the handshake
/// timeout (timed by the connection, which tells it <see cref="TimedOut"/>), and it hands back the
/// bytes that came after the head: they are the peer's first frames.
/// </summary>
internal sealed class HandshakeActor : ReceiveActor
{
    /// <summary>The connection is OPEN, with what was agreed.</summary>
    public sealed record Succeeded(string Path, ArraySegment<byte> Leftover, HttpRequestView? Request, string? Subprotocol, Props? Handler, object? State)
    {
        /// <summary>The permessage-deflate agreement (RFC 7692 §7.1); null for none.</summary>
        public DeflateParameters? Deflate { get; init; }
    }
    /// <summary>The handshake ended without an upgrade; for a server, <paramref name="Status"/> is the
    /// HTTP status already sent (an error, or a plain answer), for a client the one the server refused with.</summary>
    public sealed record Failed(string Reason, int? Status, HandshakeFailedException? Error = null)
    {
        /// <summary>The request asked for no WebSocket and got the application's plain answer.</summary>
        public bool PlainHttp { get; init; }
    }
    /// <summary>The chunk was taken and more is needed: send the next one.</summary>
    public sealed record NeedMoreData
    {
        public static readonly NeedMoreData Instance = new();
    }
    /// <summary>From the connection: TCP ended while this actor waited for bytes.</summary>
    public sealed record TcpEnded(string Why) : IDeadLetterSuppression;
    /// <summary>From the connection: <c>handshake.timeout</c> has passed since this actor started.
    /// The timer is the connection's, not this actor's: a cancelled timer stays in Akka's scheduler
    /// until its deadline and keeps its target reachable, which for a timer of this actor would be
    /// its stopped cell, held for up to the timeout after every OPEN (bench/RESULTS.md).</summary>
    public sealed record TimedOut : IDeadLetterSuppression
    {
        public static readonly TimedOut Instance = new();
    }

    private readonly WebSocketSettings _settings;
    private readonly IActorRef _tcp;
    private readonly LifecycleTrace _trace;
    private readonly HttpHeadReader _head;
    private readonly ServerSide? _server;
    private readonly ClientHandshake? _client;
    private CancellationTokenSource? _deciding;

    /// <summary>What a server's handshake needs besides the bytes.</summary>
    internal sealed record ServerSide(ServerHandshakePolicy Policy, UpgradeDecider? Decider, EndPoint? Remote, EndPoint? Local);

    public HandshakeActor(WebSocketSettings settings, IActorRef tcp, LifecycleTrace trace, ServerSide? server, ClientHandshake? client)
    {
        _settings = settings;
        _tcp = tcp;
        _trace = trace;
        _server = server;
        _client = client;
        _head = new HttpHeadReader(settings.MaxHandshakeHeadSize, server is not null ? HttpHeadKind.Request : HttpHeadKind.Response);

        Receive<SocketRead>(r => OnBytes(r.Bytes));
        Receive<Tcp.Received>(r => OnBytes(SocketRead.CopyOf(r).Bytes));
        Receive<TcpEnded>(e => Fail(null, e.Why));
        Receive<TimedOut>(_ => Fail(408, $"handshake not completed within {Seconds(settings.HandshakeTimeout)} s"));
    }

    public static Props ForServer(WebSocketSettings settings, IActorRef tcp, LifecycleTrace trace, UpgradeDecider? decider, EndPoint? remote, EndPoint? local) =>
        Props.Create(() => new HandshakeActor(settings, tcp, trace,
            new ServerSide(new ServerHandshakePolicy(settings.Path, settings.AllowedOrigins), decider, remote, local), null));

    /// <summary>A client's handshake; <paramref name="request"/> is made per connection, for its fresh key.</summary>
    public static Props ForClient(WebSocketSettings settings, IActorRef tcp, LifecycleTrace trace, ClientHandshake request) =>
        Props.Create(() => new HandshakeActor(settings, tcp, trace, null, request));

    protected override void PreStart()
    {
        if (_client is null)
            return;
        _trace.KeyDrawn(_client.Key);
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(_client.Request)));
        _trace.RequestSent(_client.Request, _client.Subprotocols);
        if (_client.ExtensionOffer is { } offer)
            _trace.DeflateOffered(offer);
    }

    protected override void PostStop()
    {
        _head.Dispose();
        _deciding?.Cancel();
        _deciding?.Dispose();
    }

    private void OnBytes(ArraySegment<byte> data)
    {
        var read = _head.Feed(data);
        if (read.Status == ProtocolStatus.NeedMoreData)
        {
            Context.Parent.Tell(NeedMoreData.Instance);
            return;
        }
        if (read.Violation is { } violation)
        {
            Fail(violation);
            return;
        }
        // The rest of the read's array: the reader may unmask and lend it in place (SocketRead).
        var leftover = data[read.Consumed..];
        if (_server is not null)
            ServerCompleted(_server, leftover);
        else
            ClientCompleted(leftover);
    }

    // ------------------------------------------------------------------ server (§4.2)

    private void ServerCompleted(ServerSide server, ArraySegment<byte> leftover)
    {
        _trace.RequestReceived(_head.Length);
        var parsed = HttpRequestView.Parse(_head.Head);
        if (!parsed.IsComplete)
        {
            Fail(parsed.Violation!);
            return;
        }
        var request = parsed.Value;
        _trace.RequestRead(request);
        // Plain HTTP goes to the application's door when it has one; without one, it is refused
        // below as an upgrade that is not one (426, 405), as it always was.
        if (server.Decider is not null && !request.IsWebSocketUpgrade)
        {
            Decide(server.Decider, new UpgradeRequest(request, server.Remote, server.Local), null, leftover);
            return;
        }
        // The RFC's checks come first: the application decides only upgrades that could be accepted.
        var upgrade = ServerHandshake.Validate(request, server.Policy);
        if (!upgrade.IsComplete)
        {
            Fail(upgrade.Violation!);
            return;
        }
        var pending = upgrade.Value;
        // §4.2.2 /subprotocol/: the client's most preferred one that the server speaks.
        var defaultSubprotocol = _settings.Subprotocols.Count > 0 ? pending.SelectSubprotocol(_settings.Subprotocols) : null;
        if (server.Decider is null)
        {
            Accept(pending, defaultSubprotocol, NoDecision, leftover);
            return;
        }
        Decide(server.Decider, new UpgradeRequest(request, server.Remote, server.Local) { IsUpgrade = true, DefaultSubprotocol = defaultSubprotocol },
            pending, leftover);
    }

    private void Decide(UpgradeDecider decider, UpgradeRequest request, PendingUpgrade? pending, ArraySegment<byte> leftover)
    {
        _trace.DecisionAsked(decider.Describe(), request.IsUpgrade);
        _deciding = new CancellationTokenSource();
        Become(() => Deciding(decider, request, pending, leftover));
        try
        {
            decider.Begin(request, Context, _deciding.Token);
        }
        catch (Exception e)
        {
            DecisionFailed(decider, 500, "threw", e);
        }
    }

    private void Deciding(UpgradeDecider decider, UpgradeRequest request, PendingUpgrade? pending, ArraySegment<byte> leftover)
    {
        Receive<UpgradeDecision.Accept>(a =>
        {
            if (pending is not null)
            {
                Accept(pending, a.Subprotocol ?? request.DefaultSubprotocol, a, leftover);
                return;
            }
            // An accept of a request that asked for no WebSocket: refused as it would be without a decider.
            var violation = ServerHandshake.Validate(request.Http, _server!.Policy).Violation
                ?? new ProtocolViolation(ViolationKind.UpgradeMissing, "not a WebSocket upgrade");
            Context.GetLogger().Warning("WebSocket server: {Decider} accepted {Method} {Target}, which asks for no WebSocket: refused with {Status}",
                decider.Describe(), request.Http.Method, HttpHead.Printable(request.Http.Target), violation.HttpStatus ?? 400);
            Fail(violation);
        });
        Receive<UpgradeDecision.Reject>(r =>
        {
            _trace.DecisionMade($"rejected with {r.Rejection}");
            Refuse(r.Rejection);
        });
        Receive<UpgradeDecision.Respond>(r =>
        {
            _trace.DecisionMade($"answered {request.Http.Method} {HttpHead.Printable(request.Http.Target)} with {r.StatusCode} {HandshakeRejection.StatusText(r.StatusCode)} (plain HTTP, {r.BodyLength} bytes of body)");
            _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(r.ResponseTo(request.Http))));
            End(new Failed($"answered with a plain HTTP {r.StatusCode}, no upgrade", r.StatusCode) { PlainHttp = !request.IsUpgrade });
        });
        Receive<Status.Failure>(f => DecisionFailed(decider, 500, "failed", f.Cause));
        Receive<Terminated>(_ => DecisionFailed(decider, 503, "is not alive", null));
        Receive<TimedOut>(_ => DecisionFailed(decider, 503, $"did not decide within the handshake timeout ({Seconds(_settings.HandshakeTimeout)} s)", null));
    }

    /// <summary>The application's decider let the request down: the client gets a 5xx (500 for an
    /// error, 503 for a decider that is gone or slow), the log says why, and the server goes on.</summary>
    private void DecisionFailed(UpgradeDecider decider, int status, string what, Exception? error)
    {
        var reason = $"{decider.Describe()} {what}{(error is null ? "" : $": {error.GetType().Name}: {error.Message}")}";
        if (error is null)
            Context.GetLogger().Warning("WebSocket server: {Reason}: answering {Status}", reason, status);
        else
            Context.GetLogger().Error(error, "WebSocket server: {Reason}: answering {Status}", reason, status);
        Refuse(new HandshakeRejection(status, reason, body: status == 503 ? "service unavailable\n" : "internal server error\n"));
    }

    /// <summary>Without a decider every valid upgrade is accepted as is.</summary>
    private static readonly UpgradeDecision.Accept NoDecision = new();

    private void Accept(PendingUpgrade pending, string? subprotocol, UpgradeDecision.Accept decision, ArraySegment<byte> leftover)
    {
        AcceptedHandshake accepted;
        try
        {
            accepted = pending.Accept(subprotocol, decision.Headers, _settings.Compression);
        }
        catch (ArgumentException e)
        {
            // A subprotocol the client did not offer: a 101 with it would make the client fail (§4.1).
            // Only a decider's accept can name one (the default is chosen from the offer).
            DecisionFailed(_server!.Decider!, 500, "chose what cannot be sent", e);
            return;
        }
        if (_server!.Decider is not null)
            _trace.DecisionMade($"accepted{(accepted.Subprotocol is null ? "" : $" with subprotocol '{accepted.Subprotocol}'")}{(decision.State is null ? "" : $", with a {decision.State.GetType().Name} for the handler")}");
        _trace.KeyAccepted(accepted.Key, accepted.Accept);
        // Without a sender (it wants no ack): the socket actor's cell keeps the last message's sender
        // until its next message, and on an idle connection this 101 is that message; this actor's
        // ref would keep its stopped cell reachable as long.
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(accepted.Response)), ActorRefs.NoSender);
        _trace.DeflateNegotiated(accepted.Deflate, accepted.DeclinedOffers, offered: pending.Request.Extensions.Any(e => e.Name.Equals(PerMessageDeflate.Name, StringComparison.OrdinalIgnoreCase)));
        _trace.SwitchingProtocolsSent(accepted.Response.Length, pending.Request.Subprotocols, accepted.Subprotocol);
        Succeed(new Succeeded(accepted.Target, leftover, pending.Request, accepted.Subprotocol, decision.Handler, decision.State) { Deflate = accepted.Deflate });
    }

    // ------------------------------------------------------------------ client (§4.1)

    private void ClientCompleted(ArraySegment<byte> leftover)
    {
        _trace.ResponseReceived(_head.Length);
        var validated = _client!.Validate(_head.Head);
        if (validated.IsComplete)
        {
            _trace.AcceptVerified(_client.ExpectedAccept, _client.Subprotocols, validated.Value.Subprotocol);
            _trace.DeflateNegotiated(validated.Value.Deflate, [], offered: _client.Deflate is not null);
            Succeed(new Succeeded("", leftover, null, validated.Value.Subprotocol, null, null) { Deflate = validated.Value.Deflate });
            return;
        }
        var violation = validated.Violation!;
        if (violation.Kind != ViolationKind.StatusNot101)
        {
            Fail(null, violation.Reason, new HandshakeFailedException(violation));
            return;
        }
        // §4.1: a status other than 101 is handled "per HTTP procedures": its body says why, read
        // up to a bound (no hostile server makes us keep more) and within the handshake timeout.
        var head = HttpHead.Parse(_head.Head).Value!;
        var body = new HttpBodyReader(head, _settings.MaxHandshakeHeadSize);
        void Refused(HttpBody read)
        {
            var refusal = HandshakeRefusal.Create(head, read);
            _trace.RefusedByServer(refusal);
            Fail(null, violation.Reason, new HandshakeFailedException(violation, refusal));
        }
        bool Take(ReadOnlySpan<byte> bytes)
        {
            var fed = body.Feed(bytes);
            if (fed.Status == ProtocolStatus.NeedMoreData)
                return false;
            Refused(fed.IsComplete ? fed.Value : body.Finish());
            return true;
        }
        if (Take(leftover))
            return;
        Become(() =>
        {
            Receive<SocketRead>(r =>
            {
                if (!Take(r.Bytes))
                    Context.Parent.Tell(NeedMoreData.Instance);
            });
            Receive<Tcp.Received>(r =>
            {
                if (!Take(r.Data.ToReadOnlySpan()))
                    Context.Parent.Tell(NeedMoreData.Instance);
            });
            Receive<TcpEnded>(_ => Refused(body.Finish()));
            Receive<TimedOut>(_ => Refused(body.Finish()));
        });
        Context.Parent.Tell(NeedMoreData.Instance);
    }

    // ------------------------------------------------------------------ endings

    private void Succeed(Succeeded succeeded)
    {
        // Without a sender: the connection's cell keeps the last message's sender until its next
        // message, and an idle connection may have none for a long time; this actor's ref would
        // keep its stopped cell reachable that long.
        Context.Parent.Tell(succeeded, ActorRefs.NoSender);
        Context.Stop(Self);
    }

    /// <summary>A server answers an HTTP error (§4.2.1: "an appropriate error code"); a client just
    /// gives up (§4.1: "_Fail the WebSocket Connection_").</summary>
    private void Fail(int? status, string reason, HandshakeFailedException? error = null)
    {
        if (_server is not null && status is { } code)
        {
            Refuse(new HandshakeRejection(code, reason));
            return;
        }
        _trace.HandshakeFailed(reason);
        End(new Failed($"opening handshake failed: {reason}", null, error));
    }

    private void Fail(ProtocolViolation violation)
    {
        if (_server is not null)
            Refuse(new HandshakeRejection(violation));
        else
            Fail(null, violation.Reason, new HandshakeFailedException(violation));
    }

    private void Refuse(HandshakeRejection rejection)
    {
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(rejection.ToResponse())));
        _trace.HandshakeRefused(rejection);
        End(new Failed($"opening handshake failed: {rejection.Reason}", rejection.StatusCode));
    }

    private void End(Failed failed)
    {
        Context.Parent.Tell(failed);
        Context.Stop(Self);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
