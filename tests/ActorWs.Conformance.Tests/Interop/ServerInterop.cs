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
        "fragmented-send", "compression", "ping-pong", "server-ping", "close-by-client", "close-by-server",
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
        await RunPeerCaseAsync(kind, server, @case);

        // The code each side reports: the peer checked the code it saw; here is ActorWs's side.
        if (@case == "close-by-client")
            await ExpectClosed(events, 4000, "bye-client");
        else if (@case == "close-by-server")
            await ExpectClosed(events, 4001, "bye-server");
    });

    /// <summary>
    /// Runs the <paramref name="kind"/> client's <paramref name="case"/> alone (<c>--only</c>, then
    /// <paramref name="arguments"/>) against <paramref name="server"/>, asserts that it passed and
    /// returns its note: what the peer saw (the subprotocol it got, the status it was refused with).
    /// </summary>
    public static async Task<string?> RunPeerCaseAsync(PeerKind kind, WebSocketServer server, string @case, params string[] arguments)
    {
        // Chromium's start-up takes most of the browser's time on a loaded machine.
        var timeout = TimeSpan.FromSeconds(kind == PeerKind.Browser ? 90 : 30);
        var result = await PeerProcess.RunClient(kind, server.Uri.ToString(), timeout, extraArguments: ["--only", @case, .. arguments]);
        Assert.True(result.Succeeded && result.Passed(@case), $"{kind} client, case {@case}, against the ActorWs server:\n{result}");
        return result.Note(@case);
    }

    /// <summary>The test settings (<see cref="TestSystem.Settings"/>) with <paramref name="extraHocon"/>,
    /// such as <c>actorws.subprotocols = [chat]</c>.</summary>
    public static WebSocketSettings Settings(string extraHocon) => TestSettings.Create(extraHocon, TestSystem.Tracing);

    /// <summary>Runs <paramref name="test"/> against an ActorWs server whose echo handler tells
    /// <see cref="HandlerEvents"/> what it is handed; fails first when the <paramref name="kind"/>
    /// peer cannot run here. The server is stopped after.</summary>
    public static Task WithServerAsync(PeerKind kind, Func<WebSocketServer, HandlerEvents, Task> test,
        WebSocketSettings? settings = null, UpgradeDecider? decider = null)
    {
        PeerGuard.Require(kind);
        return WithServerAsync(test, settings, decider);
    }

    /// <summary>As <see cref="WithServerAsync(PeerKind, Func{WebSocketServer, HandlerEvents, Task}, WebSocketSettings?, UpgradeDecider?)"/>
    /// for a peer that needs nothing installed (.NET's own clients), with the test's
    /// <paramref name="settings"/> (<see cref="TestSystem.Settings"/> when null) and <paramref name="decider"/>.</summary>
    public static async Task WithServerAsync(Func<WebSocketServer, HandlerEvents, Task> test,
        WebSocketSettings? settings = null, UpgradeDecider? decider = null)
    {
        var system = TestSystem.System;
        using var events = new HandlerEvents(system);
        var server = await WebSocketServer.StartAsync(system, events.HandlerProps, settings ?? TestSystem.Settings, UniqueName.For("ws-server"), decider);
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
