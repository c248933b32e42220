using System.Net;
using System.Net.Sockets;

namespace ActorWs.Testing;

/// <summary>A fake server's listening socket on 127.0.0.1 and a port the OS picks, and the ws:// URI
/// an ActorWs client is given for it. Stopped on Dispose.</summary>
public sealed class LoopbackListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _path;

    public LoopbackListener(string path = "/")
    {
        _path = path;
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");
    }

    public Uri Uri { get; }

    /// <summary>The next client, with the opening handshake done: its request checked (GET of this
    /// listener's path and the rest of §4.1) and answered with 101 (see <see cref="RawPeer"/>).</summary>
    public Task<RawPeer> AcceptAsync(TimeSpan? timeout = null) => RawPeer.AcceptAsync(_listener, _path, timeout ?? RawPeer.DefaultTimeout);

    /// <summary>The next client as a server-side <see cref="RawPeer"/> with nothing read or answered:
    /// the test reads the request and scripts the answer.</summary>
    public Task<RawPeer> AcceptUnansweredAsync(TimeSpan? timeout = null) => RawPeer.AcceptUnansweredAsync(_listener, timeout ?? RawPeer.DefaultTimeout);

    /// <summary>The next client's socket, with nothing read or answered.</summary>
    public Task<Socket> AcceptSocketAsync(TimeSpan? timeout = null) => _listener.AcceptSocketAsync().WaitAsync(timeout ?? RawPeer.DefaultTimeout);

    public void Dispose() => _listener.Stop();
}
