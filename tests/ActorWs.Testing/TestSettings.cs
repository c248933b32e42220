using Akka.Configuration;

namespace ActorWs.Testing;

/// <summary>The settings every suite runs ActorWs with.</summary>
public static class TestSettings
{
    /// <summary>
    /// The shipped defaults (config/actorws.hocon) with only what a deterministic test needs changed:
    /// the loopback address and a port the OS picks (suites run side by side), no keep-alive pings (a
    /// raw peer would see them as unexpected frames, a probe as unexpected writes), no reconnect (a
    /// test wants one connection and one Closed), and the lifecycle trace only when a test reads it.
    /// <paramref name="extraHocon"/> comes last and wins: whole keys, e.g.
    /// <c>actorws.close.timeout = 2s</c>.
    /// </summary>
    public static WebSocketSettings Create(string extraHocon = "", bool traceLifecycle = false) =>
        WebSocketSettings.Create(ConfigurationFactory.ParseString($$"""
            actorws {
              host = "127.0.0.1"
              port = 0
              keep-alive.ping-interval = 0s
              reconnect.enabled = off
              trace-lifecycle = {{(traceLifecycle ? "on" : "off")}}
            }
            {{extraHocon}}
            """));
}
