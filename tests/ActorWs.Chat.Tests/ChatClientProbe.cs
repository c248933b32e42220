using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;

namespace ActorWs.Chat.Tests;

/// <summary>One chat client in the test's actor system (ActorWs's own client, reconnect on, several
/// endpoints): every event it gets is queued for the test to read in order.</summary>
internal sealed class ChatClientProbe
{
    public sealed record Event(string Type, string? Room, string? Nick, string? Text, string? Node, Closed? Closed = null);

    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>();

    public ChatClientProbe(ActorSystem system, string nick, string room, IEnumerable<Uri> endpoints, WebSocketSettings settings)
    {
        Nick = nick;
        var handler = system.ActorOf(Props.Create(() => new Forwarder(_events.Writer)), $"events-{nick}");
        Client = WebSocketClient.Connect(system, endpoints.Select(e => new Uri(e, $"/chat?room={room}&nick={nick}")).ToArray(), handler, settings, $"client-{nick}");
    }

    public string Nick { get; }
    public IActorRef Client { get; }

    public void Say(string text) => Client.Tell(new SendText(text));

    /// <summary>The next event; fails after the node limit.</summary>
    public async Task<Event> NextAsync() => await _events.Reader.ReadAsync().AsTask().WaitAsync(NodeProcess.Limit);

    /// <summary>Events are skipped until one matches.</summary>
    public async Task<Event> WaitForAsync(Func<Event, bool> match, string what)
    {
        using var limit = new CancellationTokenSource(NodeProcess.Limit);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(limit.Token);
                if (match(e))
                    return e;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{Nick} never got {what}");
        }
    }

    /// <summary>The next chat message (type message) that is not a probe.</summary>
    public async Task<Event> NextMessageAsync() =>
        await WaitForAsync(e => e.Type == "message" && e.Text?.StartsWith("probe", StringComparison.Ordinal) != true, "a message");

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(ChannelWriter<Event> events)
        {
            Receive<Opened>(_ => events.TryWrite(new Event("opened", null, null, null, null)));
            Receive<TextReceived>(t =>
            {
                using var json = JsonDocument.Parse(t.Text);
                string? Get(string name) => json.RootElement.TryGetProperty(name, out var v) ? v.GetString() : null;
                events.TryWrite(new Event(Get("type")!, Get("room"), Get("nick"), Get("text"), Get("node")));
            });
            Receive<Closed>(c => events.TryWrite(new Event("closed", null, null, null, null, c)));
            ReceiveAny(_ => { });
        }
    }
}
