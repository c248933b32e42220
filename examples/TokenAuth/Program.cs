// A chat server behind a door: a token, from an "Authorization: Bearer" header or a ?token= query
// parameter (browsers cannot set headers on a WebSocket), names the user; the handler greets that
// user and echoes by name over the subprotocol chat.v1. GET /healthz answers 200 ok.
// dotnet run --project examples/TokenAuth -- --port 9000
using Akka.Actor;
using Akka.Configuration;
using ActorWs;
using static ActorWs.WebSocket;

int port = args is ["--port", var p] ? int.Parse(p) : 9000;
// A fixed table for the demo; a real server asks its identity provider.
var users = new Dictionary<string, string> { ["alice-token"] = "alice", ["bob-token"] = "bob" };

var door = UpgradeDecider.FromFunction(request =>
{
    var http = request.Http;
    if (http.Path == "/healthz" && http.Method is "GET" or "HEAD")
        return new UpgradeDecision.Respond(200, "ok\n");
    if (!request.IsUpgrade)
        return new UpgradeDecision.Reject(426, "WebSocket only", [new("Upgrade", "websocket")]);
    var authorization = http.Headers["Authorization"];
    var token = authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true
        ? authorization[7..].Trim()
        : http.Query["token"];
    if (token is null || !users.TryGetValue(token, out var user))
        return new UpgradeDecision.Reject(401, "bad token", [new("WWW-Authenticate", "Bearer realm=\"chat\"")]);
    // DefaultSubprotocol: the client's most preferred of actorws.subprotocols, null if it offered none.
    if (request.DefaultSubprotocol is null)
        return new UpgradeDecision.Reject(400, "offer the subprotocol chat.v1");
    return new UpgradeDecision.Accept(State: user);
});

var config = ConfigurationFactory.ParseString($"actorws {{ port = {port}, subprotocols = [\"chat.v1\"] }}");
var system = ActorSystem.Create("chat", config);
var server = await WebSocketServer.StartAsync(system, Props.Create(() => new ChatHandler()), decider: door);
Console.WriteLine($"LISTENING {server.Endpoint.Port}");
await system.WhenTerminated;

// One per connection; the user the door let in arrives in Opened.State.
sealed class ChatHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;
    private string _user = "";

    public ChatHandler()
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            _user = (string)o.State!;
            _connection.Tell(new SendText($"hello {_user}, this is {o.Subprotocol}"));
        });
        Receive<TextReceived>(m => _connection.Tell(new SendText($"{_user}: {m.Text}")));
        ReceiveAny(_ => { });
    }
}
