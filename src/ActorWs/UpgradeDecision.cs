using System.Net;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// A request at the server's door, as its <see cref="UpgradeDecider"/> sees it: the request itself
/// (immutable, safe to hand to untrusted code) and the two ends of the TCP connection it came on.
/// </summary>
/// <param name="Http">Method, target, decoded path and query, headers, cookies, offered subprotocols and extensions.</param>
/// <param name="RemoteAddress">The client's address.</param>
/// <param name="LocalAddress">The server's address the client reached.</param>
public sealed record UpgradeRequest(HttpRequestView Http, EndPoint? RemoteAddress, EndPoint? LocalAddress)
{
    /// <summary>
    /// A valid WebSocket opening handshake (RFC 6455 §4.2.1), which <see cref="UpgradeDecision.Accept"/>
    /// can accept. False for a request that asks for no WebSocket (<c>GET /healthz</c>, a <c>HEAD</c>):
    /// it can only be answered, by <see cref="UpgradeDecision.Respond"/> or <see cref="UpgradeDecision.Reject"/>.
    /// </summary>
    public bool IsUpgrade { get; init; }

    /// <summary>The subprotocol <see cref="UpgradeDecision.Accept"/> chooses when it names none: the
    /// client's most preferred among <c>actorws.subprotocols</c> (§4.2.2), or null.</summary>
    public string? DefaultSubprotocol { get; init; }
}

/// <summary>
/// The answer to an <see cref="UpgradeRequest"/>: accept the upgrade, reject it with an HTTP error,
/// or respond to a plain HTTP request. Each is checked when it is made — a header with CR or LF, a
/// status of the wrong class — with an <see cref="ArgumentException"/>, so that a mistake shows
/// where it is made and nothing unchecked reaches the wire.
/// </summary>
public abstract record UpgradeDecision
{
    private UpgradeDecision()
    {
    }

    /// <summary>
    /// Accept the upgrade: 101 Switching Protocols (RFC 6455 §4.2.2).
    /// </summary>
    public sealed record Accept : UpgradeDecision
    {
        /// <summary>Throws an <see cref="ArgumentException"/> for a subprotocol that is not a token,
        /// a header name that is not a token, a value with CR, LF or another control character, or a
        /// header the handshake writes itself (<see cref="ServerHandshake.ReservedHeaders"/>).</summary>
        /// <param name="Subprotocol">One of those the client offered (§4.2.2 /subprotocol/); null for
        /// <see cref="UpgradeRequest.DefaultSubprotocol"/>. A subprotocol the client did not offer
        /// answers 500: the client would have to fail the connection (§4.1).</param>
        /// <param name="Headers">Extra header fields of the 101, such as Set-Cookie.</param>
        /// <param name="Handler">The handler of this connection; null for the server's.</param>
        /// <param name="State">A value the handler receives in <see cref="Opened.State"/>: the authenticated user, say.</param>
        public Accept(string? Subprotocol = null, IEnumerable<KeyValuePair<string, string>>? Headers = null, Props? Handler = null, object? State = null)
        {
            if (Subprotocol is not null && !HttpSyntax.IsToken(Subprotocol))
                throw new ArgumentException($"subprotocol '{Subprotocol}' is not an HTTP token (RFC 6455 §4.1, RFC 9110 §5.6.2)", nameof(Subprotocol));
            this.Subprotocol = Subprotocol;
            this.Headers = Array.AsReadOnly(HttpSyntax.CheckFields(Headers, ServerHandshake.ReservedHeaders, "the handshake writes it (RFC 6455 §4.2.2)", nameof(Headers)));
            this.Handler = Handler;
            this.State = State;
        }

        /// <summary>The subprotocol; null for the default choice.</summary>
        public string? Subprotocol { get; }
        /// <summary>Extra header fields of the 101.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }
        /// <summary>The connection's handler; null for the server's.</summary>
        public Props? Handler { get; }
        /// <summary>The value the handler receives in <see cref="Opened.State"/>.</summary>
        public object? State { get; }
    }

    /// <summary>
    /// Refuse the request with an HTTP error (RFC 6455 §4.2.2 item 4: "the server MUST stop
    /// processing the client's handshake and return an HTTP response with an appropriate error
    /// code"), then close the connection. Throws an <see cref="ArgumentException"/> for a status
    /// outside 300–599 or a header that may not be sent (see <see cref="HandshakeRejection"/>).
    /// </summary>
    /// <param name="StatusCode">401 for missing credentials, 403 for refused ones, 503 to come back later, …</param>
    /// <param name="Reason">Why, for the log; the body when <paramref name="Body"/> is null. Keep secrets out of it.</param>
    /// <param name="Headers">Extra header fields (WWW-Authenticate, Retry-After, …).</param>
    /// <param name="Body">The body, sent as UTF-8 text; null sends the reason.</param>
    public sealed record Reject(int StatusCode, string Reason, IReadOnlyList<KeyValuePair<string, string>>? Headers = null, string? Body = null) : UpgradeDecision
    {
        /// <summary>The response, checked as the decision is made.</summary>
        public HandshakeRejection Rejection { get; } = new(StatusCode, Reason, Headers, Body);
    }

    /// <summary>
    /// Answer a request with a plain HTTP response (a health check, a page) and close the
    /// connection; a <c>HEAD</c> gets the same head with no body (RFC 9110 §9.3.2). Throws an
    /// <see cref="ArgumentException"/> for a status outside 200–599, a body with 204 or 304, or a
    /// header that may not be sent (see <see cref="HttpResponse.Create(int, IEnumerable{KeyValuePair{string, string}}, ReadOnlySpan{byte}, bool)"/>).
    /// </summary>
    public sealed record Respond : UpgradeDecision
    {
        private readonly byte[] _response;
        private readonly byte[] _headResponse;

        /// <summary>A text response.</summary>
        /// <param name="StatusCode">The status, 200–599.</param>
        /// <param name="Body">The body, sent as UTF-8.</param>
        /// <param name="ContentType">Its media type.</param>
        /// <param name="Headers">Extra header fields.</param>
        public Respond(int StatusCode, string Body = "", string ContentType = "text/plain; charset=utf-8", IEnumerable<KeyValuePair<string, string>>? Headers = null)
            : this(StatusCode, Encoding.UTF8.GetBytes(Body), ContentType, Headers)
        {
        }

        /// <summary>A response with any content.</summary>
        /// <param name="StatusCode">The status, 200–599.</param>
        /// <param name="Body">The content; copied.</param>
        /// <param name="ContentType">Its media type; null sends none.</param>
        /// <param name="Headers">Extra header fields.</param>
        public Respond(int StatusCode, ReadOnlySpan<byte> Body, string? ContentType, IEnumerable<KeyValuePair<string, string>>? Headers = null)
        {
            IEnumerable<KeyValuePair<string, string>> fields = Headers ?? [];
            var list = fields.ToArray();
            // A Content-Type among the headers wins: two would contradict each other (RFC 9110 §8.3).
            if (ContentType is not null && !Body.IsEmpty && !list.Any(h => "Content-Type".Equals(h.Key, StringComparison.OrdinalIgnoreCase)))
                list = [new("Content-Type", ContentType), .. list];
            _response = HttpResponse.Create(StatusCode, list, Body);
            _headResponse = HttpResponse.Create(StatusCode, list, Body, omitBody: true);
            this.StatusCode = StatusCode;
            BodyLength = Body.Length;
        }

        /// <summary>The status.</summary>
        public int StatusCode { get; }
        /// <summary>The body's length in bytes.</summary>
        public int BodyLength { get; }

        /// <summary>The bytes that answer <paramref name="request"/>.</summary>
        internal byte[] ResponseTo(HttpRequestView request) => request.Method == "HEAD" ? _headResponse : _response;
    }
}
