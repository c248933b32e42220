using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>
/// The cases of one category, by name, each run in every role it applies to: <see cref="Role.Server"/>
/// drives the ActorWs server from a raw client, <see cref="Role.Client"/> drives the ActorWs client from
/// a raw fake server. A case gets a fresh connection and must end it itself (a clean close, or the
/// close ActorWs fails the connection with).
/// </summary>
public sealed class CaseSet
{
    private static readonly Role[] BothRoles = [Role.Server, Role.Client];
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(120);

    private readonly Dictionary<string, (Func<RawPeer, Task> Run, Role[] Roles, CaseOptions? Options)> _cases = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public void Add(string name, Func<RawPeer, Task> run, params Role[] roles) => Add(name, null, run, roles);

    /// <summary>A case whose ActorWs side needs other settings or virtual time.</summary>
    public void Add(string name, CaseOptions? options, Func<RawPeer, Task> run, params Role[] roles)
    {
        _cases.Add(name, (run, roles.Length == 0 ? BothRoles : roles, options));
        _order.Add(name);
    }

    public int Count(Role role) => _cases.Values.Count(c => c.Roles.Contains(role));

    public TheoryData<string, Role> Data()
    {
        var data = new TheoryData<string, Role>();
        foreach (var name in _order)
            foreach (var role in _cases[name].Roles)
                data.Add(name, role);
        return data;
    }

    public async Task RunAsync(string name, Role role)
    {
        var (run, _, options) = _cases[name];
        await using var peer = await RawPeer.OpenAsync(role, options);
        await run(peer).WaitAsync(CaseTimeout);
    }
}

/// <summary>What a case changes on the ActorWs side.</summary>
/// <param name="Config">HOCON over the tests' settings, e.g. <c>actorws.close.timeout = 1s</c>.</param>
/// <param name="VirtualTime">Run in an actor system of its own whose scheduler the case advances
/// (<see cref="RawPeer.Scheduler"/>), so a timeout is tested without waiting for it.</param>
public sealed record CaseOptions(string? Config = null, bool VirtualTime = false);
