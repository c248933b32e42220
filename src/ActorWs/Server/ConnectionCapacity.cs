using System.Net.Sockets;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Server;

/// <summary>
/// The server's sockets against <c>actorws.max-connections</c>. A socket counts from its accept until
/// it is disposed, which for a closed connection is after its drain (<c>tcp.drain-timeout</c>), when
/// the connection's actors are long gone: it is descriptors that run out, not actors. Past the
/// limit a socket is refused with 503, and the refused sockets are bounded too. The accept loop
/// admits and refuses (one at a time), the sockets release from any thread.
/// </summary>
internal sealed class ConnectionCapacity
{
    /// <summary>Refused sockets that may wait at once for the client to read its 503 and close.
    /// Past them a refusal writes the 503 and closes at once: a flood of clients that never close
    /// cannot hold more descriptors than this, nor make the server stop accepting (the backlog
    /// would then fill, and every client wait for a connect timeout instead of an answer).</summary>
    public const int RefusalsInFlight = 16;

    /// <summary>Descriptors kept for everything but connections: max(this, limit / 16).</summary>
    public const int MinReserve = 64;

    /// <summary>How long a refused socket waits for the client's FIN after the 503: short, so that
    /// the refusals in flight turn over quickly; a client that read the 503 closes at once.</summary>
    private static readonly TimeSpan RefusalDrainTimeout = TimeSpan.FromSeconds(1);

    // The client's request, read and dropped on the way to closing a refusal at once. Only the
    // accept loop uses it, one socket at a time.
    private readonly byte[] _sink = new byte[4096];
    private readonly byte[] _response;
    private readonly Action _refusalEnded;
    private int _connections;
    private int _refusals;

    private ConnectionCapacity(int maxConnections, string origin, TimeSpan retryAfter)
    {
        MaxConnections = maxConnections;
        Origin = origin;
        RetryAfterSeconds = (int)Math.Min(Math.Ceiling(retryAfter.TotalSeconds), int.MaxValue);
        // RFC 9110 §15.6.4: 503, the server cannot handle the request now; §10.2.3: Retry-After in
        // seconds. HandshakeRejection adds Connection: close, which the close that follows is.
        _response = new HandshakeRejection(503, $"the server is at its connection limit ({maxConnections}); retry after {RetryAfterSeconds} s",
            [KeyValuePair.Create("Retry-After", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]).ToResponse();
        _refusalEnded = () => Interlocked.Decrement(ref _refusals);
    }

    public int MaxConnections { get; }

    /// <summary>Where <see cref="MaxConnections"/> came from, for the start log.</summary>
    public string Origin { get; }

    public int RetryAfterSeconds { get; }

    /// <summary>A configured number above what the descriptor limit leaves room for.</summary>
    public bool OverDescriptorLimit { get; private init; }

    /// <summary>Sockets of connections open now, draining ones included.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public override string ToString() =>
        $"max-connections {(MaxConnections == int.MaxValue ? "unlimited" : MaxConnections)} ({Origin})";

    /// <summary>The configured number, or auto: the descriptor limit less those open now (call it
    /// once listening, so that the listener and what the process loaded are counted), a reserve
    /// and the refusals in flight. Throws when auto leaves no room at all.</summary>
    public static ConnectionCapacity Create(WebSocketSettings settings)
    {
        long? room = null;
        string? budget = null;
        if (Descriptors.Read() is var (limit, open))
        {
            long reserve = Math.Max(MinReserve, limit / 16);
            room = limit - open - reserve - (RefusalsInFlight + 1);
            budget = $"descriptor limit {limit}, {open} open at start, {reserve} kept in reserve, {RefusalsInFlight + 1} for refusals";
        }
        if (settings.MaxConnections is { } configured)
        {
            return configured <= room || room is null
                ? new ConnectionCapacity(configured, "actorws.max-connections", settings.RetryAfter)
                : new ConnectionCapacity(configured, $"actorws.max-connections, over the {Math.Max(room.Value, 0)} that the descriptors leave room for: {budget}",
                    settings.RetryAfter) { OverDescriptorLimit = true };
        }
        if (room is null)
            return new ConnectionCapacity(int.MaxValue, OperatingSystem.IsWindows() ? "Windows has no descriptor limit" : "descriptor limit unknown",
                settings.RetryAfter);
        if (room < 1)
            throw new InvalidOperationException($"no room for connections under the descriptor limit ({budget}): " +
                "raise the limit (ulimit -n) or set actorws.max-connections");
        return new ConnectionCapacity((int)Math.Min(room.Value, int.MaxValue), budget!, settings.RetryAfter);
    }

    /// <summary>Counts an accepted socket as a connection if there is room. The accept loop alone
    /// admits, so the check and the count cannot interleave with another admission; a release
    /// meanwhile only makes room.</summary>
    internal bool TryAdmit()
    {
        if (Volatile.Read(ref _connections) >= MaxConnections)
            return false;
        Interlocked.Increment(ref _connections);
        return true;
    }

    /// <summary>An admitted socket is disposed: its descriptor is free again.</summary>
    internal void Release() => Interlocked.Decrement(ref _connections);

    /// <summary>Answers 503 and closes.</summary>
    internal void Refuse(Socket socket)
    {
        // Non-blocking: the accept loop must never wait on a client. A 503 of a few hundred bytes
        // fits in the empty send buffer of a fresh socket at once.
        try
        {
            socket.Blocking = false;
            socket.Send(_response, SocketFlags.None, out _);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        if (Volatile.Read(ref _refusals) < RefusalsInFlight)
        {
            Interlocked.Increment(ref _refusals);
            // FIN behind the 503, and the client's bytes read until its FIN: closed with its request
            // unread, the socket would answer with a reset (RFC 1122 §4.2.2.13), and a reset can
            // destroy the 503 before the client has read it.
            SocketConnection.CloseGracefully(socket, RefusalDrainTimeout, _refusalEnded);
        }
        else
        {
            CloseAtOnce(socket);
        }
    }

    /// <summary>Past the refusals in flight: what the client sent so far (its request, usually
    /// whole by the time its connection is accepted) is read and dropped, so that the close is a
    /// FIN behind the 503; anything still on its way turns it into a reset. A few reads at most: a
    /// client that keeps sending must not hold up the accept loop.</summary>
    private void CloseAtOnce(Socket socket)
    {
        try
        {
            for (int reads = 0; reads < 16 && socket.Available > 0; reads++)
                socket.Receive(_sink, SocketFlags.None, out _);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }
}
