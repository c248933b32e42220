namespace ActorWs.Demo.Tests;

/// <summary>The tests that set Serilog's Log.Logger, which is process-wide: run alone.</summary>
[CollectionDefinition(nameof(DemoLoggingTests), DisableParallelization = true)]
public sealed class GlobalSerilogLogger;
