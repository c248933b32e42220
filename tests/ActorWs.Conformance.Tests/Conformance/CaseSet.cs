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

    private readonly Dictionary<string, (Func<CasePeer, Task> Run, Role[] Roles, CaseOptions? Options)> _cases = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public void Add(string name, Func<CasePeer, Task> run, params Role[] roles) => Add(name, null, run, roles);

    /// <summary>A case whose ActorWs side needs other settings or virtual time.</summary>
    public void Add(string name, CaseOptions? options, Func<CasePeer, Task> run, params Role[] roles)
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
        await using var peer = await CasePeer.OpenAsync(role, options);
        await run(peer).WaitAsync(CaseTimeout);
    }
}
