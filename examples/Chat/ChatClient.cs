using Akka.Actor;
using Akka.Configuration;
using ActorWs;

namespace Chat;

/// <summary>
/// <c>chat connect --room ROOM --nick NAME URL [URL ...]</c>: a terminal client. It connects to the
/// first URL's /chat and, whenever the connection is lost, to the next (reconnect with backoff).
/// Standard input's lines are sent (<c>/join</c>, <c>/leave</c>, <c>/nick</c>, or a message); what
/// arrives is printed a line each.
/// </summary>
internal static class ChatClient
{
    private const string Usage = "usage: chat connect --room ROOM --nick NAME ws://HOST:PORT/ [ws://HOST:PORT/ ...]";

    public static async Task<int> RunAsync(string[] args)
    {
        string room = "lobby", nick = "anonymous";
        var endpoints = new List<Uri>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--room" when i + 1 < args.Length: room = args[++i]; break;
                case "--nick" when i + 1 < args.Length: nick = args[++i]; break;
                default:
                    if (!Uri.TryCreate(args[i], UriKind.Absolute, out var uri) || uri.Scheme != "ws")
                    {
                        Console.Error.WriteLine($"chat: '{args[i]}' is not a ws:// URL; {Usage}");
                        return 2;
                    }
                    endpoints.Add(new Uri(uri, $"/chat?room={Uri.EscapeDataString(room)}&nick={Uri.EscapeDataString(nick)}"));
                    break;
            }
        }
        if (endpoints.Count == 0)
        {
            Console.Error.WriteLine($"chat: no server URL; {Usage}");
            return 2;
        }
        // The room and nick may come after the URLs: the URLs are made again with the final ones.
        endpoints = endpoints.Select(e => new Uri(e, $"/chat?room={Uri.EscapeDataString(room)}&nick={Uri.EscapeDataString(nick)}")).ToList();

        var system = ActorSystem.Create("chat-client", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            actorws.reconnect { enabled = on, min-backoff = 200ms, first-delay-max = 1s, max-backoff = 10s }
            """));
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var printer = system.ActorOf(Props.Create(() => new Printer(done)), "printer");
        var client = WebSocketClient.Connect(system, endpoints, printer);
        _ = Task.Run(() =>
        {
            while (Console.ReadLine() is { } line)
                client.Tell(new SendText(line));
            client.Tell(new Close());
        });
        int code = await done.Task;
        await system.Terminate();
        return code;
    }

    private sealed class Printer : ReceiveActor
    {
        public Printer(TaskCompletionSource<int> done)
        {
            Receive<Opened>(o => Console.WriteLine($"opened {o.RemoteAddress}"));
            Receive<TextReceived>(t => Console.WriteLine(ChatEvent.Parse(t.Text)?.ToString() ?? t.Text));
            Receive<Reconnecting>(r => Console.WriteLine($"reconnecting (#{r.Attempt}) in {r.Delay.TotalSeconds:0.0} s"));
            Receive<Closed>(c =>
            {
                Console.WriteLine(c.HandshakeFailure is { } refused ? $"refused: {refused.Message}" : $"closed: {c}");
                if (!c.WillReconnect)
                    done.TrySetResult(c.HandshakeFailure is null ? 0 : 1);
            });
            ReceiveAny(_ => { });
        }
    }
}
