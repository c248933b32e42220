namespace ActorWs.Conformance.Tests.Interop;

/// <summary>Which independent WebSocket implementation a peer process uses.</summary>
public enum PeerKind
{
    /// <summary>Node.js with the "ws" library (tests/interop/node-*.js).</summary>
    Node,

    /// <summary>Debian's /usr/bin/python3 with python3-websockets (tests/interop/py-*.py).</summary>
    Python,

    /// <summary>Headless /usr/bin/chromium driven by playwright-core (client only: tests/interop/browser-client.js).</summary>
    Browser,
}
