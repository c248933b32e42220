using System.Globalization;
using System.Net.Http;

namespace ActorWs.Load;

/// <summary>
/// The server's own count of managed bytes allocated (GC.GetTotalAllocatedBytes), read from its
/// <c>GET /stats</c> (ActorWs's serve and bench/KestrelEcho answer it; the raw TCP echo does not).
/// Read at the start and end of the measurement window, it gives bytes allocated per echoed
/// message without attaching a profiler to the server.
/// </summary>
internal static class ServerStats
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        // Loopback only, and the bench's own self-signed certificate (scenarios 6-8).
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The server's allocated bytes, or null when it has no /stats.</summary>
    public static async Task<long?> AllocatedBytesAsync(string url)
    {
        var builder = new UriBuilder(url) { Path = "/stats", Query = "" };
        builder.Scheme = builder.Scheme == "wss" ? "https" : "http";
        try
        {
            using var response = await Http.GetAsync(builder.Uri);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
            {
                var parts = line.Split(' ', 2);
                if (parts is ["allocated_bytes", var value] && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
                {
                    return bytes;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
        }
        return null;
    }
}
