// A program that uses ActorWs as a package user would: a server, a client, one echoed message,
// a clean close; and ActorWs.Streams' handler props made from a flow, which loads the package and
// Akka.Streams with it. Exit code 0 when all of it worked.
using Akka.Actor;
using Akka.Configuration;
using ActorWs;
using static ActorWs.WebSocket;

var system = ActorSystem.Create("consumer", ConfigurationFactory.ParseString("actorws { port = 0, reconnect.enabled = off }"));
try
{
    var server = await WebSocketServer.StartAsync(system, Props.Create(() => new Echo()));
    var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
    var client = system.ActorOf(Props.Create(() => new Client(done)));
    WebSocketClient.Connect(system, server.Uri, client);
    var outcome = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    var streamsHandler = ActorWs.Streams.WebSocketStreams.Handler(Akka.Streams.Dsl.Flow.Create<ActorWs.Streams.Message>());
    Console.WriteLine($"ActorWs.Streams handler: {streamsHandler.Type.Name}");
    Console.WriteLine(outcome);
    await server.StopAsync();
    return outcome == "echoed 'hello', closed with 1000" ? 0 : 1;
}
finally
{
    await system.Terminate();
}

sealed class Echo : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    public Echo()
    {
        Receive<Opened>(o => _connection = o.Connection);
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        ReceiveAny(_ => { });
    }
}

sealed class Client : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;
    private string _echo = "";

    public Client(TaskCompletionSource<string> done)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            _connection.Tell(new SendText("hello"));
        });
        Receive<TextReceived>(m =>
        {
            _echo = m.Text;
            _connection.Tell(new Close());
        });
        Receive<Closed>(c => done.TrySetResult($"echoed '{_echo}', closed with {c.Code}"));
        ReceiveAny(_ => { });
    }
}
