// Minimal Kestrel WebSocket echo server: the comparison peer for ActorWs.
// Any path upgrades; each received frame is echoed with the same message type and the same
// endOfMessage flag, using one reused receive buffer per connection (the Microsoft sample idiom).
// Usage: KestrelEcho --port N [--buffer BYTES] [--tls-cert PEM --tls-key PEM]
//        (binds 127.0.0.1 only; prints "LISTENING <port>"; with a certificate, HTTPS/wss:// only)
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;

int port = 5000;
int bufferSize = 64 * 1024;
string? tlsCert = null, tlsKey = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length: port = int.Parse(args[++i]); break;
        case "--buffer" when i + 1 < args.Length: bufferSize = int.Parse(args[++i]); break;
        case "--tls-cert" when i + 1 < args.Length: tlsCert = args[++i]; break;
        case "--tls-key" when i + 1 < args.Length: tlsKey = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument: {args[i]}"); return 2;
    }
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(o =>
{
    o.AddServerHeader = false;
    if (tlsCert is null)
        o.Listen(IPAddress.Loopback, port);
    else
        o.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(X509Certificate2.CreateFromPemFile(tlsCert, tlsKey)));
});

var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
app.Run(async ctx =>
{
    if (!ctx.WebSockets.IsWebSocketRequest && ctx.Request.Path == "/stats")
    {
        // As ActorWs's serve answers it: bench/run.sh's bytes allocated per echoed message.
        await ctx.Response.WriteAsync($"allocated_bytes {GC.GetTotalAllocatedBytes(precise: true)}\ngen0_collections {GC.CollectionCount(0)}\n");
        return;
    }
    if (!ctx.WebSockets.IsWebSocketRequest)
    {
        ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }
    using WebSocket ws = await ctx.WebSockets.AcceptWebSocketAsync();
    byte[] buffer = new byte[bufferSize];
    try
    {
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                if (ws.State == WebSocketState.CloseReceived)
                {
                    await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.NormalClosure,
                        ws.CloseStatusDescription, CancellationToken.None);
                }
                break;
            }
            await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
        }
    }
    catch (WebSocketException) { /* peer vanished */ }
    catch (ConnectionAbortedException) { }
    catch (IOException) { }
    catch (OperationCanceledException) { }
});

await app.StartAsync();
Console.WriteLine($"LISTENING {port}");
await app.WaitForShutdownAsync();
return 0;
