// Plain TCP echo server: for every connection, receive into a buffer and send the same bytes back.
// Raw Socket + ValueTask APIs (no streams, no pipelines). Usage: TcpEcho --port N [--buffer BYTES]
// Binds 127.0.0.1 only; prints "LISTENING <port>".
using System.Net;
using System.Net.Sockets;

// Run socket continuations inline on the epoll thread (no thread-pool hop); the echo loop never
// blocks, so this is safe and is the fastest setting. Must be set before the first socket is created.
const string InlineVar = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineVar) is null)
{
    Environment.SetEnvironmentVariable(InlineVar, "1");
}

int port = 5001;
int bufferSize = 64 * 1024;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length: port = int.Parse(args[++i]); break;
        case "--buffer" when i + 1 < args.Length: bufferSize = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument: {args[i]}"); return 2;
    }
}

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(4096);
Console.WriteLine($"LISTENING {port}");

while (true)
{
    Socket s;
    try
    {
        s = await listener.AcceptAsync();
    }
    catch (SocketException)
    {
        continue; // e.g. EMFILE: keep serving the open connections
    }
    _ = EchoAsync(s, bufferSize);
}

static async Task EchoAsync(Socket s, int bufferSize)
{
    s.NoDelay = true;
    byte[] buffer = new byte[bufferSize];
    try
    {
        while (true)
        {
            int n = await s.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
            if (n == 0)
            {
                break;
            }
            int sent = 0;
            while (sent < n)
            {
                sent += await s.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
            }
        }
    }
    catch (SocketException) { }
    catch (ObjectDisposedException) { }
    finally
    {
        s.Dispose();
    }
}
