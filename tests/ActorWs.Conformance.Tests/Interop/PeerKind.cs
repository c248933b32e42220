namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Which independent implementation a peer process uses: a WebSocket one, or an HTTP client
/// for the plain answers of the server's door.</summary>
public enum PeerKind
{
    /// <summary>Node.js with the "ws" library (tests/interop/node-*.js).</summary>
    Node,

    /// <summary>Debian's /usr/bin/python3 with python3-websockets (tests/interop/py-*.py).</summary>
    Python,

    /// <summary>Headless /usr/bin/chromium driven by playwright-core (client only: tests/interop/browser-client.js).</summary>
    Browser,

    /// <summary>curl, a plain HTTP client (no script: the arguments are curl's own).</summary>
    Curl,
}
