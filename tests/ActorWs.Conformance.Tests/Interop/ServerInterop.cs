using ActorWs.Conformance.Tests.Support;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>
/// The ActorWs server, with the <see cref="EchoHandler"/>, driven by independent clients:
/// Node "ws", Python "websockets" and headless Chromium (examples/echo.html). Each applicable case of
/// the peer's list runs on its own (<c>--only</c>) so a failure names its case.
/// </summary>
/// <remarks>
/// Not applicable: "fragmented-receive", which asks the server to send a fragmented message —
/// ActorWs's API sends every message whole, so the case could only pass without testing what it is
/// named for. The browser page cannot select cases; its "fragmented-receive" passes because the
/// handler echoes the text whole, and is not counted.
/// </remarks>
public static class ServerInterop
{
    public static readonly string[] ApplicableCases =
    [
        "text-ascii", "text-utf8", "binary-256",
        "size-0", "size-125", "size-126", "size-65535", "size-65536", "size-1MiB",
        "fragmented-send", "ping-pong", "server-ping", "close-by-client", "close-by-server",
    ];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in ApplicableCases)
            data.Add(c);
        return data;
    }

    public static Task RunCaseAsync(PeerKind kind, string @case) => WithServerAsync(kind, async (server, events) =>
    {
        var result = await PeerProcess.RunClient(kind, server.Uri.ToString(), TimeSpan.FromSeconds(30), extraArguments: ["--only", @case]);
        Assert.True(result.Succeeded && result.Passed(@case), $"{kind} client, case {@case}, against the ActorWs server:\n{result}");

        // The code each side reports: the peer checked the code it saw; here is ActorWs's side.
        if (@case == "close-by-client")
            await ExpectClosed(events, 4000, "bye-client");
        else if (@case == "close-by-server")
            await ExpectClosed(events, 4001, "bye-server");
    });

    /// <summary>Runs <paramref name="test"/> against an ActorWs server whose echo handler tells
    /// <see cref="HandlerEvents"/> what it is handed; fails first when the <paramref name="kind"/>
    /// peer cannot run here. The server is stopped after.</summary>
    public static async Task WithServerAsync(PeerKind kind, Func<WebSocketServer, HandlerEvents, Task> test)
    {
        PeerGuard.Require(kind);
        var system = TestSystem.System;
        using var events = new HandlerEvents(system);
        var server = await WebSocketServer.StartAsync(system, events.HandlerProps, TestSystem.Settings, UniqueName.For("ws-server"));
        try
        {
            await test(server, events);
        }
        finally
        {
            system.Stop(server.Actor);
        }
    }

    private static async Task ExpectClosed(HandlerEvents events, ushort code, string reason)
    {
        var closed = await events.NextAsync<Closed>(TimeSpan.FromSeconds(10));
        Assert.True(closed.Code == code && closed.Reason == reason && closed.WasClean,
            $"the ActorWs server's handler heard {closed}, expected Closed({code} '{reason}', wasClean=True)");
    }
}
