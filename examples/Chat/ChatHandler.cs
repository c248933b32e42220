using Akka.Actor;
using ActorWs;
using ActorWs.Cluster;

namespace Chat;

/// <summary>Who the door let in, and the room they asked for (from the query).</summary>
internal sealed record ChatUser(string Nick, string Room);

/// <summary>
/// One per connection, on whichever node the client reached. Its rooms are topics across the
/// cluster (<see cref="ConnectionTopics"/>): what a user says is published to the room and reaches
/// everyone in it on every node; join and leave notices go the same way.
/// Client to server, text: <c>/join ROOM</c>, <c>/leave ROOM</c>, <c>/nick NAME</c>, or a message to
/// the room joined last. Server to client: <see cref="ChatEvent"/> as JSON.
/// </summary>
internal sealed class ChatHandler : ReceiveActor
{
    private readonly string _node;
    private readonly ConnectionTopics _topics;
    private IActorRef _connection = ActorRefs.Nobody;
    private string _nick = "anonymous";
    private string? _current;

    public ChatHandler(string node)
    {
        _node = node;
        _topics = new ConnectionTopics(Context, OnSubscribed);
        ReceiveAny(message =>
        {
            if (_topics.Handle(message))
                return;
            switch (message)
            {
                case Opened o:
                    _connection = o.Connection;
                    var user = (ChatUser)o.State!;
                    _nick = user.Nick;
                    Send(new ChatEvent("welcome", Nick: _nick, Node: _node));
                    Join(user.Room);
                    break;
                case TextReceived t:
                    OnText(t.Text);
                    break;
                case Closed:
                    // Those still in the rooms hear that this user has gone.
                    foreach (var room in _topics.Topics.ToArray())
                        _topics.Publish(room, new ChatEvent("leave", room, _nick).ToJson());
                    break;
            }
        });
    }

    public static Props Props(string node) => Akka.Actor.Props.Create(() => new ChatHandler(node));

    private void OnText(string text)
    {
        var (command, argument) = text.StartsWith('/') && text.IndexOf(' ') is var space and > 0
            ? (text[..space], text[(space + 1)..].Trim())
            : (text.StartsWith('/') ? text : "", text);
        switch (command)
        {
            case "/join":
                Join(argument);
                break;
            case "/leave":
                if (_topics.Topics.Contains(argument))
                {
                    _topics.Publish(argument, new ChatEvent("leave", argument, _nick).ToJson());
                    _topics.Unsubscribe(argument);
                    if (_current == argument)
                        _current = _topics.Topics.LastOrDefault();
                }
                break;
            case "/nick":
                if (ChatDoor.IsNick(argument))
                    _nick = argument;
                else
                    Send(new ChatEvent("error", Text: $"nickname '{argument}' is not 1-32 letters, digits, - or _"));
                break;
            case "":
                if (_current is null)
                    Send(new ChatEvent("error", Text: "join a room first: /join ROOM"));
                else
                    _topics.Publish(_current, new ChatEvent("message", _current, _nick, text).ToJson());
                break;
            default:
                Send(new ChatEvent("error", Text: $"unknown command {command}: /join ROOM, /leave ROOM, /nick NAME"));
                break;
        }
    }

    private void Join(string room)
    {
        try
        {
            _topics.Subscribe(room);
            _current = room;
        }
        catch (TopicNameException e)
        {
            Send(new ChatEvent("error", Text: e.Message));
        }
    }

    /// <summary>The room is joined on this node: the user is told, and the room hears of it.</summary>
    private void OnSubscribed(string room)
    {
        Send(new ChatEvent("subscribed", room, _nick, Node: _node));
        _topics.Publish(room, new ChatEvent("join", room, _nick, Node: _node).ToJson());
    }

    private void Send(ChatEvent e) => _connection.Tell(new SendText(e.ToJson()));
}
