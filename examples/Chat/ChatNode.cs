using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using ActorWs;
using ActorWs.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Chat;

/// <summary>A node: a WebSocket server whose handlers share rooms with every other node's.</summary>
internal static class ChatNode
{
    private const string Usage = "usage: chat --port PORT --cluster-port PORT --seed HOST:PORT [--seed HOST:PORT ...] "
        + "[--host ADDRESS] [--join-timeout SECONDS] [--metrics console] [--metrics-interval SECONDS]";

    private sealed record Options(int Port, int ClusterPort, IReadOnlyList<DnsEndPoint> Seeds, string Host,
        TimeSpan JoinTimeout, bool ConsoleMetrics, TimeSpan MetricsInterval);

    public static async Task<int> RunAsync(string[] args)
    {
        Options options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            // One line, and an exit code a script can test: a node that cannot start says why.
            Console.Error.WriteLine($"chat: {e.Message}");
            return 2;
        }

        var self = $"{options.Host}:{options.ClusterPort}";
        var seeds = string.Join(", ", options.Seeds.Select(s => $"\"akka.tcp://chat@{s.Host}:{s.Port}\""));
        var clusterConfig = ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{seeds}]")
            .WithFallback(ReadHocon())
            .WithFallback(ConfigurationFactory.ParseString($"actorws.port = {options.Port}"));
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("chat", akka => akka
            .AddHocon(clusterConfig, HoconAddMode.Prepend)
            .WithRemoting(options.Host, options.ClusterPort)
            .WithWebSocketTopics()
            .AddStartup((system, _) =>
            {
                system.ActorOf(Props.Create(() => new MembershipPrinter()), "membership");
                Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
            })
            .WithWebSocketServer(
                handler: (_, _) => ChatHandler.Props(self),
                decider: (system, _) => ChatDoor.Create(ClusterTopics.Get(system).Settings),
                started: server => Console.WriteLine($"LISTENING {server.Endpoint.Port} ws://{server.Endpoint}/chat  http://{server.Endpoint}/  node {self}")));
        if (options.ConsoleMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(WebSocketMetrics.MeterName, TopicMetrics.MeterName)
                .AddConsoleExporter((_, reader) =>
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.MetricsInterval.TotalMilliseconds));
        }

        using var host = builder.Build();
        await host.StartAsync();
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var joined = await Task.WhenAny(up.Task, Task.Delay(options.JoinTimeout, stopping));
        if (joined != up.Task && !stopping.IsCancellationRequested)
        {
            Console.Error.WriteLine($"chat: could not join the cluster through seed {string.Join(", ", options.Seeds.Select(s => $"{s.Host}:{s.Port}"))} within {options.JoinTimeout.TotalSeconds:0} s: is the seed address right, and is its node running?");
            await host.StopAsync();
            return 1;
        }
        // SIGTERM or Ctrl-C: the host stops Akka through CoordinatedShutdown, which closes the
        // connections with 1001 (service-unbind) and then leaves the cluster.
        await host.WaitForShutdownAsync();
        Console.WriteLine("STOPPED");
        return 0;
    }

    private static Options Parse(string[] args)
    {
        int? port = null, clusterPort = null;
        var seeds = new List<DnsEndPoint>();
        string host = "127.0.0.1";
        var joinTimeout = TimeSpan.FromSeconds(30);
        bool metrics = false;
        var metricsInterval = TimeSpan.FromSeconds(10);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--port": port = ParsePort(Value(), "--port"); break;
                case "--cluster-port": clusterPort = ParsePort(Value(), "--cluster-port"); break;
                case "--seed": seeds.Add(ParseSeed(Value())); break;
                case "--host": host = Value(); break;
                case "--join-timeout": joinTimeout = TimeSpan.FromSeconds(ParsePositive(Value(), "--join-timeout")); break;
                case "--metrics":
                    metrics = Value() switch
                    {
                        "console" => true,
                        "none" => false,
                        var other => throw new ArgumentException($"--metrics is console or none, not '{other}'"),
                    };
                    break;
                case "--metrics-interval": metricsInterval = TimeSpan.FromSeconds(ParsePositive(Value(), "--metrics-interval")); break;
                case "--help" or "-h": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"unknown argument '{args[i]}'; {Usage}");
            }
        }
        if (port is null || clusterPort is null || seeds.Count == 0)
            throw new ArgumentException($"--port, --cluster-port and --seed are needed; {Usage}");
        return new Options(port.Value, clusterPort.Value, seeds, host, joinTimeout, metrics, metricsInterval);
    }

    private static int ParsePort(string value, string name) =>
        int.TryParse(value, out var port) && port is >= 0 and <= 65535 ? port : throw new ArgumentException($"{name} '{value}' is not a port (0-65535)");

    private static double ParsePositive(string value, string name) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new ArgumentException($"{name} '{value}' is not a positive number of seconds");

    /// <summary>HOST:PORT, with a port that a node can listen on; the host an address or a name.</summary>
    private static DnsEndPoint ParseSeed(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"seed address '{value}' is not HOST:PORT (e.g. 127.0.0.1:4001)");
        var host = value[..colon];
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            throw new ArgumentException($"seed address '{value}' has no valid host");
        return new DnsEndPoint(host, port);
    }

    private static Config ReadHocon()
    {
        using var stream = typeof(ChatNode).Assembly.GetManifestResourceStream("chat.hocon")!;
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Prints the cluster's membership as it changes: the lines an operator (and the tests) watch.</summary>
    private sealed class MembershipPrinter : ReceiveActor
    {
        public MembershipPrinter()
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<ClusterEvent.MemberUp>(e => Print($"MEMBER UP {e.Member.Address}"));
            Receive<ClusterEvent.MemberLeft>(e => Print($"MEMBER LEAVING {e.Member.Address}"));
            Receive<ClusterEvent.MemberExited>(e => Print($"MEMBER EXITING {e.Member.Address}"));
            Receive<ClusterEvent.MemberRemoved>(e => Print($"MEMBER REMOVED {e.Member.Address} (was {e.PreviousStatus})"));
            Receive<ClusterEvent.UnreachableMember>(e => Print($"MEMBER UNREACHABLE {e.Member.Address}"));
            Receive<ClusterEvent.ReachableMember>(e => Print($"MEMBER REACHABLE {e.Member.Address}"));
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
            cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        }

        private static void Print(string line) => Console.WriteLine(line);
    }
}
