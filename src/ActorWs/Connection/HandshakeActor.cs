using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// The opening handshake for one role (RFC 6455 §4). Server: reads the client's request, answers
/// 101 or an HTTP error. Client: sends the request, checks the server's 101. Either way it gives
/// up at the handshake timeout, and it hands back the bytes that came after the head: they are
/// the peer's first frames.
/// </summary>
internal sealed class HandshakeActor : ReceiveActor, IWithTimers
{
    public sealed record Succeeded(string Path, ByteString Leftover);
    /// <summary>The handshake failed; for a server, <paramref name="Status"/> is the HTTP status already sent.</summary>
    public sealed record Failed(string Reason, int? Status);
    /// <summary>The chunk was taken and the head is not complete yet: send the next one.</summary>
    public sealed record NeedMoreData
    {
        public static readonly NeedMoreData Instance = new();
    }
    private sealed record TimedOut
    {
        public static readonly TimedOut Instance = new();
    }

    private readonly Role _role;
    private readonly WebSocketSettings _settings;
    private readonly IActorRef _tcp;
    private readonly LifecycleTrace _trace;
    private readonly HttpHeadReader _head;
    private readonly ClientHandshake? _client;

    public ITimerScheduler Timers { get; set; } = null!;

    public HandshakeActor(Role role, WebSocketSettings settings, IActorRef tcp, LifecycleTrace trace, Uri? uri)
    {
        _role = role;
        _settings = settings;
        _tcp = tcp;
        _trace = trace;
        _head = new HttpHeadReader(settings.MaxHandshakeHeadSize, role == Role.Server ? HttpHeadKind.Request : HttpHeadKind.Response);
        if (role == Role.Client)
            _client = ClientHandshake.Create(uri ?? throw new ArgumentNullException(nameof(uri)));

        Receive<Tcp.Received>(r => OnBytes(r.Data));
        Receive<TimedOut>(_ => Fail(408, $"handshake not completed within {settings.HandshakeTimeout.TotalSeconds:0.###} s"));
    }

    public static Props Props(Role role, WebSocketSettings settings, IActorRef tcp, LifecycleTrace trace, Uri? uri = null) =>
        Akka.Actor.Props.Create(() => new HandshakeActor(role, settings, tcp, trace, uri));

    protected override void PreStart()
    {
        Timers.StartSingleTimer(TimedOut.Instance, TimedOut.Instance, _settings.HandshakeTimeout);
        if (_client is null)
            return;
        _trace.KeyDrawn(_client.Key);
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(_client.Request)));
        _trace.RequestSent(_client.Request);
    }

    protected override void PostStop() => _head.Dispose();

    private void OnBytes(ByteString data)
    {
        var read = _head.Feed(data.ToReadOnlySpan());
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
        var leftover = read.Consumed < data.Count ? data.Slice(read.Consumed) : ByteString.Empty;
        if (_role == Role.Server)
            ServerCompleted(leftover);
        else
            ClientCompleted(leftover);
    }

    private void ServerCompleted(ByteString leftover)
    {
        _trace.RequestReceived(_head.Length);
        var accept = ServerHandshake.Accept(_head.Head, new ServerHandshakePolicy(_settings.Path, _settings.AllowedOrigins));
        if (!accept.IsComplete)
        {
            Fail(accept.Violation!);
            return;
        }
        var accepted = accept.Value;
        _trace.KeyAccepted(accepted.Key, accepted.Accept);
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(accepted.Response)));
        _trace.SwitchingProtocolsSent(accepted.Response.Length);
        Succeed(accepted.Target, leftover);
    }

    private void ClientCompleted(ByteString leftover)
    {
        _trace.ResponseReceived(_head.Length);
        if (_client!.Validate(_head.Head).Violation is { } violation)
        {
            Fail(violation);
            return;
        }
        _trace.AcceptVerified(_client.ExpectedAccept);
        Succeed("", leftover);
    }

    private void Succeed(string path, ByteString leftover)
    {
        Timers.CancelAll();
        Context.Parent.Tell(new Succeeded(path, leftover));
        Context.Stop(Self);
    }

    /// <summary>A server answers an HTTP error (§4.2.1: "an appropriate error code"); a client just
    /// gives up (§4.1: "_Fail the WebSocket Connection_").</summary>
    private void Fail(int? status, string reason)
    {
        if (_role == Role.Server && status is { } code)
        {
            Refuse(new HandshakeRejection(code, reason));
            return;
        }
        _trace.HandshakeFailed(reason);
        Context.Parent.Tell(new Failed(reason, null));
        Context.Stop(Self);
    }

    private void Fail(ProtocolViolation violation)
    {
        if (_role == Role.Server)
            Refuse(new HandshakeRejection(violation));
        else
            Fail(null, violation.Reason);
    }

    private void Refuse(HandshakeRejection rejection)
    {
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(rejection.ToResponse())));
        _trace.HandshakeRefused(rejection);
        Context.Parent.Tell(new Failed(rejection.Reason, rejection.StatusCode));
        Context.Stop(Self);
    }
}
