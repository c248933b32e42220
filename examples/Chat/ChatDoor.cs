using System.Reflection;
using ActorWs;
using ActorWs.Cluster;

namespace Chat;

/// <summary>
/// The node's door: <c>GET /</c> is the browser page, <c>GET /healthz</c> says ok, and an upgrade
/// to <c>/chat?nick=NAME&amp;room=ROOM</c> is let in with its user; a nick or room that cannot be
/// is refused with 400 and the reason.
/// </summary>
internal static class ChatDoor
{
    private static readonly byte[] Page = ReadPage();

    public static UpgradeDecider Create(TopicSettings topics) => UpgradeDecider.FromFunction(request =>
    {
        var http = request.Http;
        if (!request.IsUpgrade)
        {
            return (http.Method, http.Path) switch
            {
                ("GET" or "HEAD", "/") => new UpgradeDecision.Respond(200, Page, "text/html; charset=utf-8"),
                ("GET" or "HEAD", "/healthz") => new UpgradeDecision.Respond(200, "ok\n"),
                _ => new UpgradeDecision.Reject(404, "not found: the chat is at / and its WebSocket at /chat"),
            };
        }
        if (http.Path != "/chat")
            return new UpgradeDecision.Reject(404, "the chat's WebSocket is at /chat");
        var nick = http.Query["nick"] ?? "anonymous";
        if (!IsNick(nick))
            return new UpgradeDecision.Reject(400, $"nickname '{nick}' is not 1-32 letters, digits, - or _");
        var room = http.Query["room"] ?? "lobby";
        if (!TopicName.IsValid(room, topics.MaxNameLength, out var why))
            return new UpgradeDecision.Reject(400, why);
        return new UpgradeDecision.Accept(State: new ChatUser(nick, room));
    });

    public static bool IsNick(string nick) => nick.Length is >= 1 and <= 32 && nick.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static byte[] ReadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("chat.html")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
