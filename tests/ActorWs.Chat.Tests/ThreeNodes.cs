namespace ActorWs.Chat.Tests;

/// <summary>Three chat nodes as separate processes on loopback, the first the seed of all; ready
/// when every node has seen all three members up.</summary>
internal sealed class ThreeNodes : IDisposable
{
    private ThreeNodes(NodeProcess[] nodes) => Nodes = nodes;

    public NodeProcess[] Nodes { get; }

    public static async Task<ThreeNodes> StartAsync()
    {
        var ports = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).ToArray();
        var nodes = ports.Select((port, i) => NodeProcess.StartNode($"node{i + 1}", port, ports[0])).ToArray();
        var cluster = new ThreeNodes(nodes);
        try
        {
            await Task.WhenAll(nodes.Select(n => n.StartedAsync()));
            await Task.WhenAll(nodes.SelectMany(n => nodes.Select(m => n.WaitForLineAsync($"MEMBER UP {m.Address}"))));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var node in Nodes)
            node.Dispose();
    }
}
