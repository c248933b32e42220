namespace ActorWs.Conformance.Tests.Interop;

/// <summary>The ActorWs client against the Node "ws" echo server (see <see cref="ClientInteropTests"/>).</summary>
public sealed class ActorWsClientToNodeServerTests() : ClientInteropTests(PeerKind.Node);
