namespace ActorWs.Testing;

/// <summary>The repository the tests run from: the folder holding ActorWs.sln, found from
/// ACTORWS_REPO_ROOT, the test's build output or the working directory.</summary>
public static class Repository
{
    private static readonly Lazy<string?> LazyRoot = new(Find);

    /// <summary>The repository root, or null when none of the places holds ActorWs.sln.</summary>
    public static string? Root => LazyRoot.Value;

    /// <summary>A path below the root; throws when there is no root.</summary>
    public static string PathOf(string relative) =>
        Path.Combine(Root ?? throw new InvalidOperationException($"ActorWs.sln not found above {AppContext.BaseDirectory}"), relative);

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ACTORWS_REPO_ROOT");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "ActorWs.sln")))
            return Path.GetFullPath(fromEnv);
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ActorWs.sln")))
                    return dir.FullName;
        return null;
    }
}
