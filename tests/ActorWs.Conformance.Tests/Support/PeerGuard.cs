using ActorWs.Conformance.Tests.Interop;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>
/// Interop tests need the peers of .ci/install-peers.sh. xunit 2 cannot skip a test at run time, so
/// a missing peer fails the test with the reason: loudly in CI (CI=true), where a missing peer is a
/// broken build; locally the message says how to install it.
/// </summary>
public static class PeerGuard
{
    public static void Require(PeerKind kind)
    {
        var why = PeerProcess.Unavailable(kind);
        if (why is null)
            return;
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Assert.Fail(ci
            ? $"{kind} interop peer unavailable in CI (CI=true): {why}. The CI image must run .ci/install-peers.sh."
            : $"{kind} interop peer unavailable on this machine: {why}. Run .ci/install-peers.sh to install it (this test cannot be skipped at run time in xunit 2).");
    }
}
