using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ActorWs.Tests;

/// <summary>
/// Kestrel with ASP.NET Core's WebSockets as an independent peer: every WebSocket request is
/// accepted and each message echoed in the pieces it came in (Kestrel frames, masks — or, with
/// compression agreed, compresses — each piece itself); anything else gets 400.
/// </summary>
internal static class KestrelEcho
{
    /// <summary>Started and listening on loopback; plain HTTP on a free port unless
    /// <paramref name="listen"/> configures Kestrel (TLS, say). <paramref name="accept"/> makes the
    /// accept's options from the request (compression, a subprotocol).</summary>
    public static async Task<WebApplication> StartAsync(Action<KestrelServerOptions>? listen = null,
        Func<HttpContext, WebSocketAcceptContext>? accept = null)
    {
        var builder = WebApplication.CreateBuilder();
        if (listen is null)
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        else
            builder.WebHost.ConfigureKestrel(listen);
        builder.Logging.ClearProviders();
        var web = builder.Build();
        web.UseWebSockets();
        web.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync(accept?.Invoke(context) ?? new WebSocketAcceptContext());
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, CancellationToken.None);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
            }
        });
        await web.StartAsync();
        return web;
    }

    /// <summary>The port Kestrel chose.</summary>
    public static int Port(this WebApplication web) => new Uri(web.Urls.First()).Port;
}
