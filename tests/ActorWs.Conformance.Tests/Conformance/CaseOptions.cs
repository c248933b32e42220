namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>What a case changes on the ActorWs side.</summary>
/// <param name="Config">HOCON over the tests' settings, e.g. <c>actorws.close.timeout = 1s</c>.</param>
/// <param name="VirtualTime">Run in an actor system of its own whose scheduler the case advances
/// (<see cref="CasePeer.Scheduler"/>), so a timeout is tested without waiting for it.</param>
public sealed record CaseOptions(string? Config = null, bool VirtualTime = false);
