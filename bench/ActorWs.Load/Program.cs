// ActorWs.Load: raw-socket WebSocket load generator (RFC 6455 client implemented here).
// Modes: echo | rate | idle. See bench/README.md.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ActorWs.Load;

// Socket continuations run inline on the epoll thread: no thread-pool hop per receive. The
// loops never block. Must be set before the first socket is created.
const string InlineVar = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineVar) is null)
{
    Environment.SetEnvironmentVariable(InlineVar, "1");
}

Options o;
try
{
    o = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

try
{
    Result r = o.Mode switch
    {
        "echo" => await Modes.EchoAsync(o),
        "rate" => await Modes.RateAsync(o),
        "idle" => await Modes.IdleAsync(o),
        "fanout" => await Modes.FanoutAsync(o),
        _ => throw new ArgumentException($"unknown mode '{o.Mode}'"),
    };
    Console.WriteLine(r.Human());
    Console.WriteLine("RESULT " + r.Json());
    return r.Errors == 0 ? 0 : 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"fatal: {e.GetType().Name}: {e.Message}");
    var r = new Result { Mode = o.Mode, Connections = o.Connections, Inflight = o.Inflight, Size = o.Size, Errors = 1, Note = e.Message };
    Console.WriteLine("RESULT " + r.Json());
    return 1;
}

namespace ActorWs.Load
{
    public sealed class Options
    {
        public const string Usage =
            "usage:\n" +
            "  (every mode takes wss:// too: TLS, any certificate accepted)\n" +
            "  ActorWs.Load echo --url ws://127.0.0.1:PORT/ --connections C --inflight P --size S [--binary] [--warmup S] [--duration S] [--raw] [--pid PID]\n" +
            "  ActorWs.Load rate --url ws://127.0.0.1:PORT/ --connections C [--rate R] [--size S] [--warmup S] [--duration S] [--pid PID]\n" +
            "  ActorWs.Load idle --url ws://127.0.0.1:PORT/ --connections N --pid PID [--hold S] [--no-echo] [--settle S]\n" +
            "  ActorWs.Load fanout --url ws://127.0.0.1:PORT/PATH [--url ...] --connections C (per url) --publisher-url URL --rate R\n" +
            "                      [--warmup S] [--duration S] [--drain S] [--ready-timeout S] [--pid PID ...] [--label TEXT]\n" +
            "common: [--batch B] (parallel connects, default 200) [--timeout S] (connect/handshake/drain, default 10)\n" +
            "  --pid PID in echo/rate/fanout mode: also report the server's CPU use during the measurement (fanout: repeatable)";

        public string Mode = "";
        public string Url = "";
        public List<string> Urls = [];
        public string PublisherUrl = "";
        public double Drain = 60;
        public double ReadyTimeout = 120;
        public string Label = "";
        public List<int> Pids = [];
        public int Connections = 1;
        public int Inflight = 1;
        public int Size = 32;
        public bool Binary;
        public bool Raw;
        public double Warmup = 2;
        public double Duration = 5;
        public double Rate = 1;
        public int Pid;
        public double Hold;
        public double Settle = 2;
        public bool Echo = true;
        public int Batch = 200;
        public double Timeout = 10;

        public static Options Parse(string[] args)
        {
            if (args.Length == 0)
            {
                throw new ArgumentException("missing mode");
            }
            var o = new Options { Mode = args[0] };
            bool warmupSet = false;
            for (int i = 1; i < args.Length; i++)
            {
                string a = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
                double D() => double.Parse(Next(), CultureInfo.InvariantCulture);
                int I() => int.Parse(Next(), CultureInfo.InvariantCulture);
                switch (a)
                {
                    case "--url": o.Url = Next(); o.Urls.Add(o.Url); break;
                    case "--publisher-url": o.PublisherUrl = Next(); break;
                    case "--drain": o.Drain = D(); break;
                    case "--ready-timeout": o.ReadyTimeout = D(); break;
                    case "--label": o.Label = Next(); break;
                    case "--connections": o.Connections = I(); break;
                    case "--inflight": o.Inflight = I(); break;
                    case "--size": o.Size = I(); break;
                    case "--binary": o.Binary = true; break;
                    case "--raw": o.Raw = true; break;
                    case "--warmup": o.Warmup = D(); warmupSet = true; break;
                    case "--duration": o.Duration = D(); break;
                    case "--rate": o.Rate = D(); break;
                    case "--pid": o.Pid = I(); o.Pids.Add(o.Pid); break;
                    case "--hold": o.Hold = D(); break;
                    case "--settle": o.Settle = D(); break;
                    case "--no-echo": o.Echo = false; break;
                    case "--batch": o.Batch = I(); break;
                    case "--timeout": o.Timeout = D(); break;
                    default: throw new ArgumentException($"unknown argument '{a}'");
                }
            }
            if (o.Url.Length == 0)
            {
                throw new ArgumentException("--url is required");
            }
            if (o.Connections < 1 || o.Inflight < 1 || o.Size < 0 || o.Batch < 1 || o.Rate <= 0 || o.Duration <= 0)
            {
                throw new ArgumentException("connections, inflight, batch, rate and duration must be positive");
            }
            if (o.Mode == "idle" && o.Pid <= 0)
            {
                throw new ArgumentException("idle mode needs --pid of the server");
            }
            if (o.Mode == "fanout" && o.PublisherUrl.Length == 0)
            {
                throw new ArgumentException("fanout mode needs --publisher-url");
            }
            if (o.Mode == "rate" && !warmupSet)
            {
                o.Warmup = 2;
            }
            return o;
        }

        public Target Target() => TargetOf(Url);

        public Target TargetOf(string url)
        {
            var uri = new Uri(url);
            // wss://: TLS with any certificate accepted (the bench's servers use a throwaway
            // self-signed one on loopback; what is measured is the encryption, not the trust).
            if (uri.Scheme is not ("ws" or "wss"))
            {
                throw new ArgumentException("only ws:// and wss:// URLs are supported");
            }
            IPAddress ip = uri.Host == "localhost" ? IPAddress.Loopback
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
                : throw new ArgumentException($"host must be a literal loopback address, got '{uri.Host}'");
            if (!IPAddress.IsLoopback(ip))
            {
                throw new ArgumentException($"refusing non-loopback target {ip}");
            }
            int port = uri.Port;
            return new Target(new IPEndPoint(ip, port), $"{uri.Host}:{port}", uri.PathAndQuery, Raw) { Tls = uri.Scheme == "wss", TlsHost = uri.Host };
        }
    }

    public sealed class Result
    {
        public string Mode = "";
        public int Connections;
        public int Inflight;
        public int Size;
        public double? MsgsPerS;
        public double? MbPerS;
        public double? P50;
        public double? P99;
        public double? P999;
        public double? RssPerConnKib;
        public long Errors;
        public long Messages;
        public double Seconds;
        public long? RssBeforeKib;
        public long? RssAfterKib;
        public double? LoadCpuPct;
        public double? ServerCpuPct;
        /// <summary>Bytes the server allocated per echoed message over the window (its GET /stats), when it answers one.</summary>
        public double? AllocPerMsg;
        public string? Note;
        /// <summary>Mode-specific fields, written after the common ones (fanout mode).</summary>
        public Dictionary<string, object?>? Extra;

        private static string F(double? v, string fmt) => v is { } d && !double.IsNaN(d) ? d.ToString(fmt, CultureInfo.InvariantCulture) : "-";

        /// <summary>When set, the human-readable line (fanout mode, whose figures are its own).</summary>
        public string? Line;

        public string Human()
        {
            if (Line is not null)
            {
                return Line + (Errors > 0 ? $", errors {Errors}" : "") + (Note is null ? "" : $" ({Note})");
            }
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{Mode}: {Connections} conn");
            if (Mode == "echo")
            {
                sb.Append(CultureInfo.InvariantCulture, $" x {Inflight} in flight, {Size} B");
            }
            if (Mode is "echo" or "rate")
            {
                sb.Append(CultureInfo.InvariantCulture, $", {Seconds:0.0} s: {F(MsgsPerS, "N0")} msg/s, {F(MbPerS, "0.00")} MB/s, latency p50 {F(P50, "0.0")} us, p99 {F(P99, "0.0")} us, p99.9 {F(P999, "0.0")} us, CPU load tool {F(LoadCpuPct, "0")} % / server {F(ServerCpuPct, "0")} %, server allocated {F(AllocPerMsg, "0")} B/msg");
            }
            if (Mode == "idle")
            {
                sb.Append(CultureInfo.InvariantCulture, $": server RSS {RssBeforeKib} KiB -> {RssAfterKib} KiB = {F(RssPerConnKib, "0.00")} KiB per connection");
            }
            sb.Append(CultureInfo.InvariantCulture, $", errors {Errors}");
            if (Note is not null)
            {
                sb.Append(" (").Append(Note).Append(')');
            }
            return sb.ToString();
        }

        public string Json()
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                static void Num(Utf8JsonWriter w, string name, double? v, int digits)
                {
                    if (v is { } d && !double.IsNaN(d) && !double.IsInfinity(d))
                    {
                        w.WriteNumber(name, Math.Round(d, digits));
                    }
                    else
                    {
                        w.WriteNull(name);
                    }
                }
                w.WriteStartObject();
                w.WriteString("mode", Mode);
                w.WriteNumber("connections", Connections);
                w.WriteNumber("inflight", Inflight);
                w.WriteNumber("size", Size);
                Num(w, "msgs_per_s", MsgsPerS, 1);
                Num(w, "mb_per_s", MbPerS, 3);
                Num(w, "p50_us", P50, 1);
                Num(w, "p99_us", P99, 1);
                Num(w, "p999_us", P999, 1);
                Num(w, "rss_per_conn_kib", RssPerConnKib, 3);
                w.WriteNumber("errors", Errors);
                w.WriteNumber("messages", Messages);
                w.WriteNumber("seconds", Math.Round(Seconds, 3));
                Num(w, "load_cpu_pct", LoadCpuPct, 1);
                Num(w, "server_cpu_pct", ServerCpuPct, 1);
                Num(w, "alloc_b_per_msg", AllocPerMsg, 1);
                if (RssBeforeKib is not null)
                {
                    w.WriteNumber("rss_before_kib", RssBeforeKib.Value);
                    w.WriteNumber("rss_after_kib", RssAfterKib ?? 0);
                }
                if (Note is not null)
                {
                    w.WriteString("note", Note);
                }
                foreach (var (name, value) in Extra ?? [])
                {
                    w.WritePropertyName(name);
                    JsonSerializer.Serialize(w, value);
                }
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(ms.ToArray());
        }
    }

    /// <summary>CPU used by this process and (with --pid) by the server over the measurement, in % of one core.</summary>
    public sealed class CpuSampler
    {
        private readonly int _pid;
        private readonly long _t0 = Stopwatch.GetTimestamp();
        private readonly TimeSpan _self0 = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly double _server0;
        public double? LoadPct;
        public double? ServerPct;

        public CpuSampler(int pid)
        {
            _pid = pid;
            _server0 = ServerSeconds();
        }

        private double ServerSeconds()
        {
            if (_pid <= 0)
            {
                return double.NaN;
            }
            try
            {
                string stat = File.ReadAllText($"/proc/{_pid}/stat");
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields 14 (utime) and 15 (stime), in clock ticks (USER_HZ = 100 on Linux)
                return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
            }
            catch (IOException)
            {
                return double.NaN;
            }
        }

        public void Stop()
        {
            double wall = Stopwatch.GetElapsedTime(_t0).TotalSeconds;
            if (wall < 0.1)
            {
                return; // too short to mean anything (e.g. nothing connected)
            }
            LoadPct = (Process.GetCurrentProcess().TotalProcessorTime - _self0).TotalSeconds / wall * 100;
            double s = ServerSeconds() - _server0;
            ServerPct = double.IsNaN(s) ? null : s / wall * 100;
        }
    }

    public static partial class Modes
    {
        // 0 = warm-up, 1 = measuring, 2 = stopping
        private static volatile int s_phase;
        private static long s_openErrors;

        private static byte[] Payload(Options o)
        {
            var p = new byte[o.Size];
            if (o.Binary)
            {
                new Random(42).NextBytes(p);
            }
            else
            {
                for (int i = 0; i < p.Length; i++)
                {
                    p[i] = (byte)('a' + i % 26);
                }
            }
            return p;
        }

        private static async Task<List<WsConn>> OpenAllAsync(Options o, Target t, int count, int bufferSize, int ring, bool gated,
            Func<int, MessageSink>? sinks = null)
        {
            var list = new List<WsConn>(count);
            var timeout = TimeSpan.FromSeconds(o.Timeout);
            string? firstError = null;
            var batch = new List<Task<WsConn>>(o.Batch);
            for (int i = 0; i < count; i += o.Batch)
            {
                batch.Clear();
                for (int j = i; j < Math.Min(count, i + o.Batch); j++)
                {
                    batch.Add(WsConn.OpenAsync(t, bufferSize, ring, gated, timeout, sinks?.Invoke(j)));
                }
                try
                {
                    await Task.WhenAll(batch);
                }
                catch
                {
                    // inspected below
                }
                foreach (var task in batch)
                {
                    if (task.IsCompletedSuccessfully)
                    {
                        list.Add(task.Result);
                    }
                    else
                    {
                        s_openErrors++;
                        firstError ??= task.Exception?.InnerException?.Message ?? "cancelled";
                    }
                }
            }
            if (firstError is not null)
            {
                Console.Error.WriteLine($"{s_openErrors} connection(s) failed to open; first error: {firstError}");
            }
            return list;
        }

        private static void Configure(WsConn c, Options o, bool hist)
        {
            c.ExpectedOpcode = o.Binary ? 2 : 1;
            c.ExpectedSize = o.Size;
            if (hist)
            {
                c.Hist = new Histogram();
            }
        }

        // ---------------------------------------------------------------- echo

        public static async Task<Result> EchoAsync(Options o)
        {
            Target t = o.Target();
            byte[] frames = Frames.Build(o.Binary ? 2 : 1, Payload(o), o.Inflight);
            int frameLen = frames.Length / o.Inflight;
            int bufSize = o.Size > 4096 ? 64 * 1024 : 16 * 1024;
            var conns = await OpenAllAsync(o, t, o.Connections, bufSize, o.Inflight, gated: false);
            foreach (var c in conns)
            {
                Configure(c, o, hist: true);
            }

            s_phase = 0;
            var loops = conns.Select(c => Task.Run(() => EchoLoopAsync(c, frames, frameLen, o.Inflight))).ToArray();
            await Task.WhenAny(Task.WhenAll(loops), Task.Delay(TimeSpan.FromSeconds(o.Warmup)));
            long? allocated0 = o.Raw ? null : await ServerStats.AllocatedBytesAsync(o.Url);
            var cpu = new CpuSampler(o.Pid);
            long t0 = Stopwatch.GetTimestamp();
            s_phase = 1;
            await Task.WhenAny(Task.WhenAll(loops), Task.Delay(TimeSpan.FromSeconds(o.Duration)));
            s_phase = 2;
            long t1 = Stopwatch.GetTimestamp();
            cpu.Stop();
            long? allocated1 = o.Raw ? null : await ServerStats.AllocatedBytesAsync(o.Url);
            await DrainAsync(conns, loops, o.Timeout);
            Result r = Summarize(o, conns, Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            (r.LoadCpuPct, r.ServerCpuPct) = (cpu.LoadPct, cpu.ServerPct);
            // The server's managed allocation over the window, per message it echoed in it.
            if (allocated0 is { } a0 && allocated1 is { } a1 && r.Messages > 0)
            {
                r.AllocPerMsg = (double)(a1 - a0) / r.Messages;
            }
            return r;
        }

        private static async Task EchoLoopAsync(WsConn c, byte[] frames, int frameLen, int inflight)
        {
            try
            {
                c.Stamp(inflight, Stopwatch.GetTimestamp());
                await c.SendAsync(frames.AsMemory(0, frameLen * inflight));
                while (true)
                {
                    int n = await c.ReceiveAsync();
                    if (n == 0)
                    {
                        if (c.CloseSent == 0)
                        {
                            c.LastError ??= "server closed the connection";
                        }
                        break;
                    }
                    long now = Stopwatch.GetTimestamp();
                    int phase = s_phase;
                    int done = c.Parse(n, now, phase == 1);
                    if (c.PongPending)
                    {
                        await c.SendPongAsync();
                    }
                    if (c.CloseReceived)
                    {
                        if (c.CloseSent == 0)
                        {
                            c.LastError ??= "server sent a close frame";
                            await c.SendCloseAsync();
                        }
                        break;
                    }
                    if (phase < 2)
                    {
                        if (done > 0)
                        {
                            c.Stamp(done, now);
                            await c.SendAsync(frames.AsMemory(0, frameLen * done));
                        }
                    }
                    else if (c.InFlight == 0 && c.CloseSent == 0)
                    {
                        await c.SendCloseAsync();
                    }
                }
            }
            catch (Exception e) when (!c.Aborted)
            {
                c.LastError ??= e.Message;
            }
            catch
            {
                // aborted by the drain timeout: already accounted for
            }
            finally
            {
                c.Socket.Dispose();
            }
        }

        /// <summary>Waits for every loop to finish its close handshake; aborts stragglers after the timeout.</summary>
        private static async Task DrainAsync(List<WsConn> conns, Task[] loops, double timeoutS)
        {
            var all = Task.WhenAll(loops);
            if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(timeoutS))) != all)
            {
                int stuck = 0;
                for (int i = 0; i < conns.Count; i++)
                {
                    if (!loops[i].IsCompleted)
                    {
                        stuck++;
                        conns[i].Abort($"no close reply / echo within {timeoutS} s");
                    }
                }
                Console.Error.WriteLine($"{stuck} connection(s) did not finish within {timeoutS} s; aborted");
                await Task.WhenAny(all, Task.Delay(2000));
            }
        }

        private static Result Summarize(Options o, List<WsConn> conns, double seconds)
        {
            var h = new Histogram();
            long msgs = 0, bytes = 0, errors = s_openErrors;
            string? firstError = null;
            foreach (var c in conns)
            {
                if (c.Hist is not null)
                {
                    h.Add(c.Hist);
                }
                msgs += c.Msgs;
                bytes += c.Bytes;
                long e = c.ProtocolErrors + c.BadEchoes + (c.LastError is null ? 0 : 1);
                errors += e;
                if (e > 0)
                {
                    firstError ??= c.LastError ?? $"protocol errors {c.ProtocolErrors}, bad echoes {c.BadEchoes}";
                }
            }
            if (firstError is not null)
            {
                Console.Error.WriteLine($"first connection error: {firstError}");
            }
            double usPerTick = 1e6 / Stopwatch.Frequency;
            return new Result
            {
                Mode = o.Mode,
                Connections = o.Connections,
                Inflight = o.Mode == "echo" ? o.Inflight : 1,
                Size = o.Size,
                Messages = msgs,
                Seconds = seconds,
                MsgsPerS = msgs / seconds,
                MbPerS = bytes / seconds / 1e6,
                P50 = h.Quantile(0.50) * usPerTick,
                P99 = h.Quantile(0.99) * usPerTick,
                P999 = h.Quantile(0.999) * usPerTick,
                Errors = errors,
                Note = conns.Count < o.Connections ? $"only {conns.Count} of {o.Connections} connections opened" : null,
            };
        }

        // ---------------------------------------------------------------- rate / idle

        /// <summary>Receive side for modes where sends come from elsewhere (rate, idle).</summary>
        private static async Task PassiveLoopAsync(WsConn c)
        {
            try
            {
                while (true)
                {
                    int n = await c.ReceiveAsync();
                    if (n == 0)
                    {
                        if (c.CloseSent == 0)
                        {
                            c.LastError ??= "server closed the connection";
                        }
                        break;
                    }
                    c.Parse(n, Stopwatch.GetTimestamp(), s_phase == 1);
                    if (c.PongPending)
                    {
                        await c.SendPongAsync();
                    }
                    if (c.CloseReceived)
                    {
                        if (c.CloseSent == 0)
                        {
                            c.LastError ??= "server sent a close frame";
                            await c.SendCloseAsync();
                        }
                        break;
                    }
                }
            }
            catch (Exception e) when (!c.Aborted)
            {
                c.LastError ??= e.Message;
            }
            catch
            {
            }
            finally
            {
                c.Socket.Dispose();
            }
        }

        private static async Task CloseAllAsync(List<WsConn> conns, Task[] loops, double timeoutS)
        {
            foreach (var c in conns)
            {
                try
                {
                    await c.SendCloseAsync();
                }
                catch (Exception e)
                {
                    c.LastError ??= "close: " + e.Message;
                }
            }
            await DrainAsync(conns, loops, timeoutS);
        }

        private static async Task<long> WaitInFlightZeroAsync(List<WsConn> conns, double timeoutS)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                long inflight = 0;
                foreach (var c in conns)
                {
                    if (!c.Aborted && c.LastError is null)
                    {
                        inflight += c.InFlight;
                    }
                }
                if (inflight == 0 || sw.Elapsed.TotalSeconds > timeoutS)
                {
                    return inflight;
                }
                await Task.Delay(20);
            }
        }

        public static async Task<Result> RateAsync(Options o)
        {
            Target t = o.Target();
            byte[] frame = Frames.Build(o.Binary ? 2 : 1, Payload(o), 1);
            var conns = await OpenAllAsync(o, t, o.Connections, 4096, 64, gated: true);
            foreach (var c in conns)
            {
                Configure(c, o, hist: true);
            }
            s_phase = 0;
            var loops = conns.Select(c => Task.Run(() => PassiveLoopAsync(c))).ToArray();
            long period = (long)(Stopwatch.Frequency / o.Rate);
            long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
            long skipped = 0;
            var senders = conns.Select((c, i) => Task.Run(async () =>
            {
                long next = start + period * i / conns.Count; // spread start times evenly over one period
                try
                {
                    while (s_phase < 2 && !c.Aborted && c.LastError is null)
                    {
                        long wait = next - Stopwatch.GetTimestamp();
                        if (wait > 0)
                        {
                            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                            if (s_phase >= 2)
                            {
                                break;
                            }
                        }
                        next += period;
                        if (c.InFlight >= c.RingCapacity)
                        {
                            Interlocked.Increment(ref skipped);
                            continue;
                        }
                        c.Stamp(1, Stopwatch.GetTimestamp());
                        await c.SendAsync(frame);
                    }
                }
                catch (Exception e) when (!c.Aborted)
                {
                    c.LastError ??= e.Message;
                }
                catch
                {
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(o.Warmup + 0.1));
            var cpu = new CpuSampler(o.Pid);
            long t0 = Stopwatch.GetTimestamp();
            s_phase = 1;
            await Task.Delay(TimeSpan.FromSeconds(o.Duration));
            s_phase = 2;
            long t1 = Stopwatch.GetTimestamp();
            cpu.Stop();
            await Task.WhenAny(Task.WhenAll(senders), Task.Delay(TimeSpan.FromSeconds(o.Timeout)));
            long lost = await WaitInFlightZeroAsync(conns, o.Timeout);
            await CloseAllAsync(conns, loops, o.Timeout);
            Result r = Summarize(o, conns, Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            (r.LoadCpuPct, r.ServerCpuPct) = (cpu.LoadPct, cpu.ServerPct);
            r.Errors += lost + skipped;
            if (lost + skipped > 0)
            {
                r.Note = $"{lost} echoes missing, {skipped} sends skipped (ring full)";
            }
            return r;
        }

        private static long ReadRssKib(int pid)
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
            throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
        }

        public static async Task<Result> IdleAsync(Options o)
        {
            Target t = o.Target();
            byte[] frame = Frames.Build(o.Binary ? 2 : 1, Payload(o), 1);

            // Warm the server (JIT, pools, first-connection lazy init) so that the baseline excludes one-time costs.
            var warm = await OpenAllAsync(o, t, Math.Min(20, o.Connections), 4096, 4, gated: true);
            foreach (var c in warm)
            {
                Configure(c, o, hist: false);
            }
            var warmLoops = warm.Select(c => PassiveLoopAsync(c)).ToArray();
            foreach (var c in warm)
            {
                c.Stamp(1, Stopwatch.GetTimestamp());
                await c.SendAsync(frame);
            }
            await WaitInFlightZeroAsync(warm, o.Timeout);
            await CloseAllAsync(warm, warmLoops, o.Timeout);
            long warmErrors = warm.Sum(c => c.LastError is null ? 0 : 1) + s_openErrors;
            s_openErrors = 0;
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, o.Settle / 2)));

            long before = ReadRssKib(o.Pid);
            var sw = Stopwatch.StartNew();
            var conns = await OpenAllAsync(o, t, o.Connections, 4096, 4, gated: true);
            double openS = sw.Elapsed.TotalSeconds;
            foreach (var c in conns)
            {
                Configure(c, o, hist: false);
            }
            var loops = conns.Select(c => PassiveLoopAsync(c)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(o.Settle));
            long after = ReadRssKib(o.Pid);
            Console.Error.WriteLine($"opened {conns.Count} connections in {openS:0.00} s; server VmRSS {before} -> {after} KiB");
            if (o.Hold > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(o.Hold));
            }

            long lost = 0;
            if (o.Echo)
            {
                foreach (var c in conns)
                {
                    if (c.LastError is not null || c.Aborted)
                    {
                        continue;
                    }
                    try
                    {
                        c.Stamp(1, Stopwatch.GetTimestamp());
                        await c.SendAsync(frame);
                    }
                    catch (Exception e)
                    {
                        c.LastError ??= "send: " + e.Message;
                    }
                }
                lost = await WaitInFlightZeroAsync(conns, o.Timeout);
                long got = conns.Sum(c => c.Received);
                Console.Error.WriteLine($"echo check: {got} of {conns.Count} echoes received{(lost == 0 ? " (nothing lost)" : $", {lost} missing")}");
            }
            await CloseAllAsync(conns, loops, o.Timeout);

            long errors = s_openErrors + warmErrors + lost;
            foreach (var c in conns)
            {
                errors += c.ProtocolErrors + c.BadEchoes + (c.LastError is null ? 0 : 1);
            }
            return new Result
            {
                Mode = "idle",
                Connections = o.Connections,
                Inflight = 0,
                Size = o.Size,
                RssBeforeKib = before,
                RssAfterKib = after,
                RssPerConnKib = conns.Count > 0 ? (double)(after - before) / conns.Count : null,
                Messages = conns.Sum(c => c.Received),
                Errors = errors,
                Note = conns.Count < o.Connections ? $"only {conns.Count} of {o.Connections} connections opened" : null,
            };
        }
    }
}
