using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using ActorWs.Conformance.Tests.Support;
using ActorWs.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ActorWs.Conformance.Tests.Interop;

/// <summary>The ActorWs client against ASP.NET Core's Kestrel at its door: the subprotocol Kestrel
/// accepts with, and the refusal of a Kestrel endpoint that wants credentials.</summary>
public sealed class ActorWsClientToKestrelServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Kestrel on a loopback port the OS picks, running <paramref name="app"/> for every request.</summary>
    private static async Task<WebApplication> StartKestrelAsync(RequestDelegate app)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var web = builder.Build();
        web.UseWebSockets();
        web.Run(app);
        await web.StartAsync();
        return web;
    }

    private static Uri WsUri(WebApplication web) => new($"ws://127.0.0.1:{new Uri(web.Urls.First()).Port}/");

    [Fact]
    public async Task ActorWs_client_gets_the_subprotocol_Kestrel_accepted_with()
    {
        await using var web = await StartKestrelAsync(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync("chat");
            // Echo until the client's close, which is answered.
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            while (received.MessageType != WebSocketMessageType.Close)
            {
                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
                received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            }
            await socket.CloseAsync(received.CloseStatus ?? WebSocketCloseStatus.NormalClosure, received.CloseStatusDescription, context.RequestAborted);
        });
        var system = TestSystem.System;
        using var events = new HandlerEvents(system);
        var client = WebSocketClient.Connect(system, WsUri(web), events.Actor, TestSystem.Settings, UniqueName.For("ws-client"),
            new WebSocketClientOptions { Subprotocols = ["superchat", "chat"] });
        try
        {
            var opened = await events.NextAsync<Opened>(Timeout);
            Assert.Equal("chat", opened.Subprotocol);
            opened.Connection.Tell(new SendText("chat message"));
            Assert.Equal("chat message", (await events.NextAsync<TextReceived>(Timeout)).Text);
            opened.Connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
            var closed = await events.NextAsync<Closed>(Timeout);
            Assert.True(closed is { Code: CloseCodes.NormalClosure, WasClean: true }, $"the ActorWs client reported {closed}");
        }
        finally
        {
            system.Stop(client);
        }
    }

    [Fact]
    public async Task ActorWs_client_refused_by_Kestrel_with_401_sees_its_header_and_chunked_body_and_does_not_reconnect()
    {
        var body = Encoding.UTF8.GetBytes("a bearer token is needed");
        await using var web = await StartKestrelAsync(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"kestrel\"";
            context.Response.ContentType = "text/plain; charset=utf-8";
            // No Content-Length: Kestrel sends the body chunked (RFC 9112 §7.1), which the client decodes.
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });
        var system = TestSystem.System;
        using var events = new HandlerEvents(system);
        // Reconnect on: a 4xx is the server's answer, which asking again would not change.
        var client = WebSocketClient.Connect(system, WsUri(web), events.Actor, TestSystem.Settings with { ReconnectEnabled = true },
            UniqueName.For("ws-client"), new WebSocketClientOptions { Headers = [new("Authorization", "Bearer wrong")] });
        try
        {
            var closed = await events.NextAsync<Closed>(Timeout);
            var refusal = closed.HandshakeFailure?.Refusal;
            Assert.True(refusal is not null, $"the ActorWs client reported {closed} with no refusal ({closed.HandshakeFailure?.Message})");
            Assert.Equal(401, refusal.StatusCode);
            Assert.Equal("Bearer realm=\"kestrel\"", refusal.Headers["WWW-Authenticate"]);
            Assert.Equal(("a bearer token is needed", true), (refusal.Body.Text, refusal.Body.IsComplete));
            Assert.Equal((CloseCodes.AbnormalClosure, false, false), (closed.Code, closed.WasClean, closed.WillReconnect));
            // The client stops with that Closed: nothing more (no Reconnecting, no second attempt) came after it.
            Assert.Empty(await events.AfterConnectionEndedAsync(client, events.Actor, Timeout));
        }
        finally
        {
            system.Stop(client);
        }
    }
}
