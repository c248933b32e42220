using System.Reflection;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>The build output of a project this one builds with it but does not reference (the .csproj
/// names each in an AssemblyMetadata attribute), for a test that runs it as a process of its own.</summary>
public static class BuildOutput
{
    /// <summary>bench/ActorWs.Load's dll.</summary>
    public static string LoadToolDll() => Dll("ActorWsLoadDll");

    /// <summary>src/ActorWs.Demo's dll.</summary>
    public static string DemoDll() => Dll("ActorWsDemoDll");

    private static string Dll(string key)
    {
        var dll = typeof(BuildOutput).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build ActorWs.sln) first");
        return dll;
    }
}
