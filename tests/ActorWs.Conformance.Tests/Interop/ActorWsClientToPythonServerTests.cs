namespace ActorWs.Conformance.Tests.Interop;

/// <summary>The ActorWs client against the Python "websockets" echo server (see <see cref="ClientInteropTests"/>).</summary>
public sealed class ActorWsClientToPythonServerTests() : ClientInteropTests(PeerKind.Python);
