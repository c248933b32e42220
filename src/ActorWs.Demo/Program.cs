using System.Net.Sockets;
using Akka.Actor;
using ActorWs;
using ActorWs.Demo;

// Socket completions run on .NET's epoll thread instead of being queued to the thread pool first:
// ActorWs's completion work is a non-blocking read and a Tell, so the queueing was pure overhead
// (measured at steady state: +10 % small-message echo, p99 -35 %; bench/RESULTS.md). Read once, at
// the first socket operation, so it must be set before any; an explicit setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message} (see --help)");
    return 2;
}

try
{
    return options.Verb switch
    {
        Verb.Help => Help(),
        Verb.Serve => await Serve(options),
        Verb.Connect => await Connect(options),
        Verb.Web => await WebDemo.RunAsync(options),
        Verb.Cert => DemoCertificate.Write(options.OutDir!),
        _ => options.Role switch
        {
            "server" => await DemoRunner.RunServerOnlyAsync(options),
            "client" => await DemoRunner.RunClientOnlyAsync(options),
            _ => await DemoRunner.RunBothAsync(options),
        },
    };
}
catch (Exception e) when (e is UsageException or ArgumentException or InvalidOperationException or SocketException
                          or TimeoutException or IOException or Akka.Configuration.ConfigurationException)
{
    DemoConsole.Complete();
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
finally
{
    // The log holds each line until every source has caught up; at the end nothing is left to wait for.
    DemoConsole.Complete();
}

static int Help()
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

// serve: an echo server that logs each connection's lifecycle; Ctrl+C stops it.
static async Task<int> Serve(DemoOptions options)
{
    var loaded = options.LoadConfig();
    var config = loaded.WithFallback(loaded.GetConfig("demo.serve") ?? Akka.Configuration.Config.Empty);
    var system = DemoConsole.CreateSystem("server", config, print: !options.Quiet);
    try
    {
        var settings = WebSocketSettings.Create(config);
        if (options.Subprotocols.Count > 0)
            settings = settings with { Subprotocols = options.Subprotocols };
        // The handler's mailbox is the application's choice: an echo handler sees every message, and
        // ActorWs's lean mailbox saves each idle connection Akka's default 32-slot segment (~1 KB;
        // bench/RESULTS.md). demo.hocon names it, so it does not depend on the server registering it.
        var server = await WebSocketServer.StartAsync(system, EchoHandler.Props().WithMailbox("actorws.lean-mailbox"), settings, decider: ServeDoor.Decider);
        // Scripts (bench/run.sh, tests) wait for this line.
        var capacity = server.MaxConnections == int.MaxValue ? "no connection limit" : $"max-connections {server.MaxConnections}";
        var subprotocols = settings.Subprotocols.Count == 0 ? "" : $", subprotocols {string.Join(", ", settings.Subprotocols)}";
        Console.WriteLine($"LISTENING {server.Endpoint.Port} echo server on {server.Uri}, {capacity}{subprotocols} (Ctrl+C to stop)");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        await Task.WhenAny(stop.Task, system.WhenTerminated);
        await server.StopAsync();
        return 0;
    }
    finally
    {
        await system.Terminate();
    }
}

// connect: like wscat. stdin lines go out as text; what arrives is printed; end of input closes.
static async Task<int> Connect(DemoOptions options)
{
    var config = Akka.Configuration.ConfigurationFactory.ParseString("actorws.reconnect.enabled = off").WithFallback(options.LoadConfig());
    var system = DemoConsole.CreateSystem("client", config, print: !Console.IsOutputRedirected);
    try
    {
        var done = new TaskCompletionSource<Closed>(TaskCreationOptions.RunContinuationsAsynchronously);
        var opened = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = system.ActorOf(Props.Create(() => new ConsoleClientHandler(opened, done)), "app");
        var clientOptions = new WebSocketClientOptions
        {
            Subprotocols = options.Subprotocols.Count > 0 ? options.Subprotocols : null,
            Headers = options.Headers,
            Tls = options.ClientTls(),
        };
        WebSocketClient.Connect(system, options.Url!, handler, WebSocketSettings.Create(config), options: clientOptions);
        var first = await Task.WhenAny(opened.Task, done.Task);
        if (first == done.Task)
        {
            var failed = done.Task.Result;
            // A refusal says why in its status and body (a 401 with "bad token"); print those, not the close.
            Console.Error.WriteLine(failed.HandshakeFailure?.Refusal is { } refusal
                ? $"refused: {refusal.StatusCode} {refusal.ReasonPhrase}{OneLine(refusal.Body.Text)}"
                : $"error: {failed.Reason}");
            return 1;
        }
        var connection = opened.Task.Result;
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line)
                connection.Tell(new SendText(line));
            connection.Tell(new Close());
        });
        var closed = await done.Task;
        Console.Error.WriteLine($"closed: {closed}");
        return closed.WasClean ? 0 : 1;
    }
    finally
    {
        await system.Terminate();
    }
}

// A body to print after the status, whole (HandshakeRefusal.ToString cuts it at 60 characters), on
// the same line and with its control characters (a hostile server's escape sequences) replaced.
static string OneLine(string body)
{
    var text = string.Concat(body.Trim().ReplaceLineEndings(" ").Select(c => char.IsControl(c) ? '?' : c));
    return text.Length == 0 ? "" : $": {text}";
}

sealed class ConsoleClientHandler : ReceiveActor
{
    public ConsoleClientHandler(TaskCompletionSource<IActorRef> opened, TaskCompletionSource<Closed> done)
    {
        Receive<Opened>(o =>
        {
            Console.WriteLine(o.Subprotocol is null ? "opened (no subprotocol)" : $"opened with subprotocol {o.Subprotocol}");
            opened.TrySetResult(o.Connection);
        });
        Receive<TextReceived>(m => Console.WriteLine($"< {m.Text}"));
        Receive<BinaryReceived>(m => Console.WriteLine($"< ({m.Data.Length} bytes of binary) {Convert.ToHexString(m.Data.AsSpan(0, Math.Min(32, m.Data.Length)))}"));
        Receive<Closed>(c => done.TrySetResult(c));
        ReceiveAny(_ => { });
    }
}
