// fanout mode: many listeners on one or more servers (e.g. the nodes of examples/Chat, all in one
// room), one publisher connection at a fixed rate; every listener measures each message's
// delivery latency from the send time stamped in the message. See bench/README.md (cluster.sh).
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ActorWs.Load;

public static partial class Modes
{
    // What the publisher sends, as the text of a message: "~b:SEQ:TICKS:T~" (T is m for a message of
    // the measurement, w for warm-up; TICKS is Stopwatch.GetTimestamp() when it was sent, the same
    // clock as the listeners', all of them being in this process) or "~probe~". The listeners look
    // for the marker anywhere in what they receive, so the server may wrap the text (the chat sends
    // it inside a JSON object) or send it as is.
    private static ReadOnlySpan<byte> Marker => "~b:"u8;
    private static ReadOnlySpan<byte> Probe => "~probe~"u8;

    /// <summary>One listening connection's tally; fed by its receive loop only (one thread at a time).</summary>
    private sealed class Listener(int node)
    {
        public readonly int Node = node;
        public readonly Histogram Hist = new();
        public long Measured;        // measurement messages received, whenever they arrived
        public long InWindow;        // messages of either kind received during the measurement window
        public long OutOfOrder;      // a sequence number not above the last one: duplicate or reordered
        public long Malformed;
        public long LastSeq = -1;
        public long LastMeasuredAt;  // receive time of the last measurement message
        public volatile bool Probed; // has received a probe or a message: subscribed on the publisher's node's view

        public void On(WsConn connection, ReadOnlySpan<byte> payload, long now)
        {
            int at = payload.IndexOf(Marker);
            if (at < 0)
            {
                // welcome, subscribed, ... from the chat: not ours. A probe says the room reaches us.
                if (!Probed && payload.IndexOf(Probe) >= 0)
                {
                    Probed = true;
                }
                return;
            }
            var rest = payload[(at + Marker.Length)..];
            if (!Utf8Parser.TryParse(rest, out long seq, out int n) || n >= rest.Length || rest[n] != ':'
                || !Utf8Parser.TryParse(rest = rest[(n + 1)..], out long sent, out n) || n + 1 >= rest.Length || rest[n] != ':')
            {
                Malformed++;
                return;
            }
            Probed = true;
            if (seq <= LastSeq)
            {
                OutOfOrder++;
            }
            LastSeq = Math.Max(LastSeq, seq);
            if (s_phase == 1)
            {
                InWindow++;
            }
            if (rest[n + 1] == (byte)'m')
            {
                Measured++;
                Hist.Record(now - sent);
                LastMeasuredAt = now;
            }
        }
    }

    public static async Task<Result> FanoutAsync(Options o)
    {
        long f = Stopwatch.Frequency;
        var targets = o.Urls.Select(o.TargetOf).ToArray();
        var publisherTarget = o.TargetOf(o.PublisherUrl);

        // Listeners first, node by node; then the publisher. Each connection's sink is its
        // Listener's On method, so the Listener of an opened connection is its sink's target.
        var openWatch = Stopwatch.StartNew();
        var conns = new List<WsConn>();
        for (int node = 0; node < targets.Length; node++)
        {
            int n = node;
            conns.AddRange(await OpenAllAsync(o, targets[n], o.Connections, 16 * 1024, 2, gated: true, _ => new Listener(n).On));
        }
        var listeners = conns.Select(c => (Listener)c.OnMessage!.Target!).ToList();
        var publisher = await WsConn.OpenAsync(publisherTarget, 16 * 1024, 2, gatedSends: true, TimeSpan.FromSeconds(o.Timeout), new Listener(-1).On);
        double openS = openWatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"opened {conns.Count} of {o.Connections * targets.Length} listeners and the publisher in {openS:0.0} s");
        s_phase = 0;
        var loops = conns.Append(publisher).Select(c => Task.Run(() => PassiveLoopAsync(c))).ToArray();

        // Positive signal before measuring: a subscription reaches the other nodes only at the pub/sub
        // mediators' next gossip, and nothing acknowledges that. So the publisher probes until every
        // listener has heard one probe; from then on each message it publishes reaches all of them.
        var readyWatch = Stopwatch.StartNew();
        int probes = 0;
        while (listeners.Any(l => !l.Probed) && readyWatch.Elapsed.TotalSeconds < o.ReadyTimeout)
        {
            await publisher.SendAsync(Frames.Build(1, Probe, 1));
            probes++;
            await Task.Delay(300);
        }
        int notReady = listeners.Count(l => !l.Probed);
        double readyS = readyWatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{listeners.Count - notReady} of {listeners.Count} listeners heard a probe after {readyS:0.0} s ({probes} probes)");

        // Publish at the rate: message k is due at start + k/rate. Each turn sends every message due
        // (one write), stamped with the time it is written; then sleeps about 1 ms. A publisher that
        // falls behind (CPU starved) sends late, in bursts: the achieved rate is reported beside the target.
        var cpuSelf = new CpuSampler(0);
        CpuSampler[] cpuNodes = [];
        long start = Stopwatch.GetTimestamp() + f / 100;
        long measureFrom = start + (long)(o.Warmup * f);
        long end = measureFrom + (long)(o.Duration * f);
        long k = 0, published = 0, t0 = 0;
        var batch = new List<byte>(4096);
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }
            if (s_phase == 0 && now >= measureFrom)
            {
                t0 = now;
                cpuSelf = new CpuSampler(0);
                cpuNodes = o.Pids.Select(p => new CpuSampler(p)).ToArray();
                s_phase = 1;
            }
            batch.Clear();
            long due;
            while ((due = start + (long)(k * (double)f / o.Rate)) <= now && due < end)
            {
                bool measured = due >= measureFrom;
                string text = string.Create(CultureInfo.InvariantCulture, $"~b:{k}:{Stopwatch.GetTimestamp()}:{(measured ? 'm' : 'w')}~");
                batch.AddRange(Frames.Build(1, Encoding.ASCII.GetBytes(text), 1));
                k++;
                published += measured ? 1 : 0;
            }
            if (batch.Count > 0)
            {
                await publisher.SendAsync(batch.ToArray());
            }
            await Task.Delay(1);
        }
        long t1 = Stopwatch.GetTimestamp();
        s_phase = 2;
        cpuSelf.Stop();
        foreach (var c in cpuNodes)
        {
            c.Stop();
        }
        double seconds = (t1 - t0) / (double)f;

        // Drain: wait for every measurement message to reach every listener, as long as they keep
        // arriving (nothing for 5 s: the rest is lost) and at most --drain seconds.
        long expected = published * listeners.Count;
        var drainWatch = Stopwatch.StartNew();
        long lastTotal = -1;
        var lastProgress = Stopwatch.StartNew();
        while (drainWatch.Elapsed.TotalSeconds < o.Drain)
        {
            long total = listeners.Sum(l => Volatile.Read(ref l.Measured));
            if (total >= expected)
            {
                break;
            }
            if (total != lastTotal)
            {
                lastTotal = total;
                lastProgress.Restart();
            }
            else if (lastProgress.Elapsed.TotalSeconds > 5)
            {
                break;
            }
            await Task.Delay(50);
        }
        bool stillArriving = lastProgress.Elapsed.TotalSeconds < 1 && listeners.Sum(l => l.Measured) < expected;

        await CloseAllAsync(conns.Append(publisher).ToList(), loops, o.Timeout);

        // Tally.
        var all = new Histogram();
        var byNode = targets.Select(_ => new Histogram()).ToArray();
        long received = 0, inWindow = 0, outOfOrder = 0, malformed = 0, lastAt = 0;
        foreach (var l in listeners)
        {
            all.Add(l.Hist);
            byNode[l.Node].Add(l.Hist);
            received += l.Measured;
            inWindow += l.InWindow;
            outOfOrder += l.OutOfOrder;
            malformed += l.Malformed;
            lastAt = Math.Max(lastAt, l.LastMeasuredAt);
        }
        long connErrors = conns.Append(publisher).Sum(c => c.ProtocolErrors + (c.LastError is null ? 0 : 1));
        string? firstError = conns.Append(publisher).Select(c => c.LastError).FirstOrDefault(e => e is not null);
        if (firstError is not null)
        {
            Console.Error.WriteLine($"first connection error: {firstError}");
        }
        double ms = 1e3 / f;
        double Q(Histogram h, double q) => h.Quantile(q) * ms;
        long lost = expected - received;
        double deliveredPerS = inWindow / seconds, publishedPerS = published / seconds;
        double drainS = lastAt > t1 ? (lastAt - t1) / (double)f : 0;
        // What the servers sustained for the measurement's messages, backlog included: from the start
        // of the window until the last of them arrived (the window's own rate also counts warm-up
        // messages that were still queued, so under overload it flatters).
        double sustainedPerS = received / Math.Max(seconds, (Math.Max(lastAt, t1) - t0) / (double)f);
        var nodeCpu = cpuNodes.Select(c => c.ServerPct is { } p ? Math.Round(p, 1) : (double?)null).ToArray();

        var r = new Result
        {
            Mode = "fanout",
            Connections = listeners.Count,
            Size = 0,
            Messages = received,
            Seconds = seconds,
            MsgsPerS = deliveredPerS,
            P50 = Q(all, 0.50) * 1e3,
            P99 = Q(all, 0.99) * 1e3,
            P999 = Q(all, 0.999) * 1e3,
            LoadCpuPct = cpuSelf.LoadPct,
            ServerCpuPct = nodeCpu.All(p => p is not null) && nodeCpu.Length > 0 ? nodeCpu.Sum() : null,
            Errors = s_openErrors + notReady + connErrors + outOfOrder + malformed,
            Note = stillArriving ? $"messages were still arriving when the drain limit ({o.Drain:0} s) ended the wait" : null,
        };
        r.Extra = new()
        {
            ["label"] = o.Label,
            ["nodes"] = targets.Length,
            ["listeners_per_node"] = o.Connections,
            ["rate"] = o.Rate,
            ["published"] = published,
            ["published_per_s"] = Math.Round(publishedPerS, 1),
            ["expected"] = expected,
            ["expected_per_s"] = Math.Round(publishedPerS * listeners.Count, 1),
            ["received"] = received,
            ["lost"] = lost,
            ["lost_pct"] = expected > 0 ? Math.Round(100.0 * lost / expected, 3) : null,
            ["delivered_per_s"] = Math.Round(deliveredPerS, 1),
            ["sustained_per_s"] = Math.Round(sustainedPerS, 1),
            ["p50_ms"] = Math.Round(Q(all, 0.50), 3),
            ["p99_ms"] = Math.Round(Q(all, 0.99), 3),
            ["max_ms"] = Math.Round(Q(all, 1.0), 3),
            ["node_p50_ms"] = byNode.Select(h => h.Count > 0 ? Math.Round(Q(h, 0.50), 3) : (double?)null).ToArray(),
            ["node_p99_ms"] = byNode.Select(h => h.Count > 0 ? Math.Round(Q(h, 0.99), 3) : (double?)null).ToArray(),
            ["drain_s"] = Math.Round(drainS, 2),
            ["open_s"] = Math.Round(openS, 1),
            ["ready_s"] = Math.Round(readyS, 1),
            ["not_ready"] = notReady,
            ["out_of_order"] = outOfOrder,
            ["node_cpu_pct"] = nodeCpu,
        };
        r.Line = string.Create(CultureInfo.InvariantCulture,
            $"fanout {o.Label}: {targets.Length} node(s) x {o.Connections} listeners, publisher {publishedPerS:0} msg/s (target {o.Rate:0}) for {seconds:0.0} s: "
            + $"delivered {deliveredPerS:N0} msg/s in the window, {sustainedPerS:N0} msg/s until the last arrived (expected {publishedPerS * listeners.Count:N0}), lost {lost:N0} of {expected:N0}, "
            + $"latency p50 {Q(all, 0.5):0.0} ms p99 {Q(all, 0.99):0.0} ms max {Q(all, 1.0):0.0} ms, last delivery {drainS:0.0} s after the last send; "
            + $"CPU nodes {string.Join(" + ", nodeCpu.Select(p => p?.ToString("0", CultureInfo.InvariantCulture) ?? "-"))} %, load tool {cpuSelf.LoadPct:0} %");
        return r;
    }
}
