using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ActorWs.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(ActorWs.Benchmarks.MaskingBenchmarks).Assembly).Run(args);
