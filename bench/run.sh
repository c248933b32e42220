#!/usr/bin/env bash
# Side-by-side WebSocket benchmark: ActorWs vs Kestrel vs a plain TCP echo (the ceiling).
# Servers are pinned to core 0, the load tool (ActorWs.Load) to core 1. Every server process is
# started fresh for each (scenario, round) and killed right after it; rounds are interleaved
# (round 1: scenario 1 actorws, kestrel, tcp-raw; scenario 2 ...; round 2: ...). The table shows
# the median over rounds of each metric. See bench/README.md.
#
# Scenarios 6-8 are 2-4 over TLS (wss://, a self-signed certificate the demo writes into bench/bin/tls;
# the load tool accepts it): ActorWs and Kestrel only (the TCP echo has no TLS).
#
# Scenarios 9-10 are permessage-deflate (RFC 7692), ActorWs beside Node ws with perMessageDeflate
# (tests/interop/node-echo-server.js): 9 a 4 KiB JSON-like echo, 10 memory per idle connection with
# deflate negotiated. Their load tool is a Node ws client (bench/deflate/echo-load.js, idle-load.js),
# the same for both servers, so bytes on the wire compare the servers' compression, not two clients'.
# They need node and tests/interop/node_modules (bash .ci/install-peers.sh).
#
# Env: ACTORWS_SERVER_CMD  server command, {port} is replaced; for 6-8 it gets --tls-cert/--tls-key
#                          (default: dotnet bench/bin/ActorWs.Demo/ActorWs.Demo.dll serve --port {port};
#                           if that dll is missing, KestrelEcho stands in and the output says so)
#      ROUNDS (3)  WARMUP (20 s)  DURATION (5 s)  IDLE_CONNS (10000)  RATE_CONNS (1000)
#      SCENARIOS ("1 2 3 4 5 6 7 8 9 10")  PORT_BASE (21000)  SKIP_BUILD (unset)
#      DEFLATE_IDLE_CONNS (2000: scenario 10; Node ws keeps ~250 KiB of zlib state per connection)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COMMAND_LINE=""
for v in ACTORWS_SERVER_CMD ROUNDS WARMUP DURATION IDLE_CONNS RATE_CONNS DEFLATE_IDLE_CONNS SCENARIOS PORT_BASE SKIP_BUILD; do
  [[ -n "${!v:-}" ]] && COMMAND_LINE+="$v=$(printf '%q' "${!v}") "
done
COMMAND_LINE+="bench/run.sh"
LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
ROUNDS="${ROUNDS:-3}"
# Long enough for tiered compilation to reach its final (PGO-optimised) code in every server: on
# one core, ActorWs (Akka's larger code base) needs 15-20 s, Kestrel about 10 s. With 2 s, the
# run compared mostly unoptimised code, and ActorWs's small-message rate varied by ±30 % between runs.
WARMUP="${WARMUP:-20}"
DURATION="${DURATION:-5}"
IDLE_CONNS="${IDLE_CONNS:-10000}"
RATE_CONNS="${RATE_CONNS:-1000}"
SCENARIOS="${SCENARIOS:-1 2 3 4 5 6 7 8 9 10}"
DEFLATE_IDLE_CONNS="${DEFLATE_IDLE_CONNS:-2000}"
PORT="${PORT_BASE:-21000}"
BIN="bench/bin"
RESULTS="bench/results"
LOGDIR="$BIN/run-logs/$(date +%Y%m%d-%H%M%S)"
JSONL="$LOGDIR/results.jsonl"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$RESULTS" "$LOGDIR"
: > "$JSONL"

log() { printf '[run.sh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v python3 >/dev/null || die "python3 is needed for the summary"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

# ---------------------------------------------------------------- fds
WANT_FD=20000
HARD_FD="$(ulimit -Hn)"
if [[ "$HARD_FD" != unlimited && "$HARD_FD" -lt "$WANT_FD" ]]; then WANT_FD="$HARD_FD"; fi
ulimit -n "$WANT_FD" || die "cannot raise ulimit -n to $WANT_FD"
if (( IDLE_CONNS + 200 > WANT_FD )); then log "WARNING: ulimit -n is $WANT_FD, too low for IDLE_CONNS=$IDLE_CONNS"; fi

# ---------------------------------------------------------------- pinning
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  PIN_SERVER="taskset -c 0"; PIN_LOAD="taskset -c 1"; PINNING="server on core 0, load tool on core 1 (taskset)"
else
  PIN_SERVER=""; PIN_LOAD=""; PINNING="NOT pinned (needs taskset and >= 2 cores)"
  log "WARNING: $PINNING"
fi

# ---------------------------------------------------------------- build
if [[ -z "${SKIP_BUILD:-}" ]]; then
  for p in KestrelEcho TcpEcho ActorWs.Load ActorWs.Demo; do
    log "building $p"
    dir=bench; [[ $p == ActorWs.Demo ]] && dir=src
    timeout 600 dotnet build -c Release -nologo -v q -o "$BIN/$p" "$dir/$p/$p.csproj" > "$LOGDIR/build-$p.log" 2>&1 \
      || { cat "$LOGDIR/build-$p.log" >&2; die "build of $p failed"; }
  done
fi

KESTREL_CMD="dotnet $BIN/KestrelEcho/KestrelEcho.dll --port {port}"
TCP_CMD="dotnet $BIN/TcpEcho/TcpEcho.dll --port {port}"
DEFAULT_ACTORWS_CMD="dotnet $BIN/ActorWs.Demo/ActorWs.Demo.dll serve --port {port} --quiet"
STANDIN=""
if [[ -n "${ACTORWS_SERVER_CMD:-}" ]]; then
  ACTORWS_CMD="$ACTORWS_SERVER_CMD"
elif [[ -f "$BIN/ActorWs.Demo/ActorWs.Demo.dll" ]]; then
  ACTORWS_CMD="$DEFAULT_ACTORWS_CMD"
else
  ACTORWS_CMD="$KESTREL_CMD"
  STANDIN="ActorWs server not available ($BIN/ActorWs.Demo/ActorWs.Demo.dll missing, ACTORWS_SERVER_CMD unset): the 'actorws' column is KestrelEcho standing in."
  log "NOTE: $STANDIN"
fi
LOAD="dotnet $BIN/ActorWs.Load/ActorWs.Load.dll"

# ---------------------------------------------------------------- permessage-deflate (scenarios 9-10)
# Node ws echo server with perMessageDeflate ({ threshold: 1024 }, context takeover both ways: ws's defaults)
NODE_WS_CMD="node tests/interop/node-echo-server.js {port}"
is_deflate() { [[ "$1" == 9 || "$1" == 10 ]]; }
if [[ " $SCENARIOS " =~ \ (9|10)\  ]]; then
  command -v node >/dev/null || die "scenarios 9-10 need node"
  [[ -d tests/interop/node_modules/ws ]] || die "scenarios 9-10 need tests/interop/node_modules/ws: run bash .ci/install-peers.sh"
fi

# ---------------------------------------------------------------- TLS (scenarios 6-8)
TLS_DIR="$BIN/tls"
TLS_ARGS="--tls-cert $TLS_DIR/cert.pem --tls-key $TLS_DIR/key.pem"
if [[ " $SCENARIOS " =~ \ [678]\  ]] && [[ ! -f "$TLS_DIR/cert.pem" ]]; then
  [[ -f "$BIN/ActorWs.Demo/ActorWs.Demo.dll" ]] || die "scenarios 6-8 need $BIN/ActorWs.Demo/ActorWs.Demo.dll to write their certificate"
  dotnet "$BIN/ActorWs.Demo/ActorWs.Demo.dll" cert --out "$TLS_DIR" > "$LOGDIR/tls-cert.log" 2>&1 || die "cannot write the TLS certificate: $(cat "$LOGDIR/tls-cert.log")"
fi
is_tls() { [[ "$1" == [678] ]]; }

# ---------------------------------------------------------------- server lifecycle
SERVER_PID=""
LOAD_PID=""

stop_server() {
  local pid="$SERVER_PID"
  [[ -z "$pid" ]] && return 0
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  [[ -n "$LOAD_PID" ]] && kill -KILL "$LOAD_PID" 2>/dev/null
  stop_server
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server NAME LOGFILE [tls] -> sets SERVER_PID and SERVER_PORT
start_server() {
  local name="$1" logf="$2" tls="${3:-}" tmpl cmd
  case "$name" in
    actorws) tmpl="$ACTORWS_CMD" ;;
    kestrel) tmpl="$KESTREL_CMD" ;;
    tcp-raw) tmpl="$TCP_CMD" ;;
    node-ws) tmpl="$NODE_WS_CMD" ;;
  esac
  PORT=$((PORT + 1)); while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
  SERVER_PORT="$PORT"
  cmd="${tmpl//\{port\}/$SERVER_PORT}"
  [[ -n "$tls" ]] && cmd="$cmd $TLS_ARGS"
  echo "# $PIN_SERVER $cmd" > "$logf"
  # exec keeps the server's PID equal to $! (needed for /proc/PID/status in the idle scenario)
  bash -c "exec $PIN_SERVER $cmd" >> "$logf" 2>&1 < /dev/null &
  SERVER_PID=$!
  for _ in $(seq 300); do
    if grep -q '^LISTENING' "$logf"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { log "server $name exited during start-up: $(tail -3 "$logf")"; SERVER_PID=""; return 1; }
    sleep 0.1
  done
  log "server $name did not print LISTENING within 30 s"
  stop_server
  return 1
}

# ---------------------------------------------------------------- scenarios
scenario_title() {
  case "$1" in
    1) echo "1 conn, 1 in flight, 32 B text" ;;
    2) echo "64 conns, 16 in flight, 32 B text" ;;
    3) echo "16 conns, 4 in flight, 64 KiB binary" ;;
    4) echo "$IDLE_CONNS idle conns: server RSS" ;;
    5) echo "$RATE_CONNS conns x 1 msg/s (fan-in)" ;;
    6|7|8) echo "TLS: $(scenario_title $(($1 - 4)))" ;;
    9) echo "deflate: 16 conns, 4 in flight, 4 KiB JSON text" ;;
    10) echo "deflate: $DEFLATE_IDLE_CONNS idle conns: server RSS" ;;
  esac
}
scenario_args() {
  case "$1" in
    1) echo "echo --connections 1 --inflight 1 --size 32 --warmup $WARMUP --duration $DURATION --pid {pid}" ;;
    2) echo "echo --connections 64 --inflight 16 --size 32 --warmup $WARMUP --duration $DURATION --pid {pid}" ;;
    3) echo "echo --connections 16 --inflight 4 --size 65536 --binary --warmup $WARMUP --duration $DURATION --pid {pid}" ;;
    4) echo "idle --connections $IDLE_CONNS --pid {pid}" ;;
    5) echo "rate --connections $RATE_CONNS --rate 1 --warmup $WARMUP --duration $DURATION --pid {pid}" ;;
    6|7|8) scenario_args $(($1 - 4)) ;;
    # 4 KiB: above both sides' 1024-byte threshold, so every message is compressed in both directions
    9) echo "--connections 16 --inflight 4 --size 4096 --threshold 1024 --warmup $WARMUP --duration $DURATION --pid {pid}" ;;
    10) echo "--connections $DEFLATE_IDLE_CONNS --settle 5 --pid {pid}" ;;
  esac
}
# the load command of a scenario (9-10: a Node ws client, deflate offered)
scenario_load() {
  case "$1" in
    9) echo "node bench/deflate/echo-load.js" ;;
    10) echo "node bench/deflate/idle-load.js" ;;
    *) echo "$LOAD" ;;
  esac
}
scenario_servers() {
  case "$1" in
    1|2|3) echo "actorws kestrel tcp-raw" ;;
    9|10) echo "actorws node-ws" ;;
    *) echo "actorws kestrel" ;;
  esac
}
scenario_timeout() {
  case "$1" in
    4|8) echo $((180 + IDLE_CONNS / 100)) ;;
    10) echo $((120 + DEFLATE_IDLE_CONNS / 100)) ;;
    *) echo "$(python3 -c "print(int($WARMUP + $DURATION + 60))")" ;;
  esac
}

run_one() { # round scenario server
  local round="$1" sc="$2" srv="$3" base="$LOGDIR/s$2-$3-r$1" args out rc load
  local scheme=ws tls=""
  if is_tls "$sc"; then scheme=wss; tls=tls; fi
  if ! start_server "$srv" "$base.server.log" "$tls"; then
    echo "{\"round\":$round,\"scenario\":$sc,\"server\":\"$srv\",\"failed\":\"server start\"}" >> "$JSONL"
    return
  fi
  args="$(scenario_args "$sc")"
  args="${args//\{pid\}/$SERVER_PID} --url $scheme://127.0.0.1:$SERVER_PORT/"
  [[ "$srv" == tcp-raw ]] && args="$args --raw"
  load="$(scenario_load "$sc")"
  echo "# $PIN_LOAD $load $args" > "$base.load.log"
  timeout -k 5 "$(scenario_timeout "$sc")" $PIN_LOAD $load $args >> "$base.load.log" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID"; rc=$?
  LOAD_PID=""
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then log "server $srv died during scenario $sc: $(tail -3 "$base.server.log")"; fi
  stop_server
  out="$(grep '^RESULT ' "$base.load.log" | tail -1 | cut -c8-)"
  if [[ -z "$out" ]]; then
    log "round $round scenario $sc $srv: no RESULT (exit $rc), see $base.load.log"
    echo "{\"round\":$round,\"scenario\":$sc,\"server\":\"$srv\",\"failed\":\"no result (exit $rc)\"}" >> "$JSONL"
    return
  fi
  log "round $round scenario $sc $srv: $(grep -v '^RESULT \|^#' "$base.load.log" | tail -1)"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(round=int(sys.argv[2]),scenario=int(sys.argv[3]),server=sys.argv[4]); print(json.dumps(d))' \
    "$out" "$round" "$sc" "$srv" >> "$JSONL"
}

log "rounds=$ROUNDS warmup=${WARMUP}s duration=${DURATION}s scenarios='$SCENARIOS'; logs in $LOGDIR"
for round in $(seq "$ROUNDS"); do
  for sc in $SCENARIOS; do
    for srv in $(scenario_servers "$sc"); do
      run_one "$round" "$sc" "$srv"
    done
  done
done

# ---------------------------------------------------------------- summary
CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
TABLE="$(python3 - "$JSONL" "$IDLE_CONNS" "$RATE_CONNS" "$DEFLATE_IDLE_CONNS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
idle, rate, didle = sys.argv[2], sys.argv[3], sys.argv[4]
titles = {1: "1 conn, 1 in flight, 32 B text", 2: "64 conns, 16 in flight, 32 B text",
          3: "16 conns, 4 in flight, 64 KiB binary", 4: f"{idle} idle conns", 5: f"{rate} conns x 1 msg/s"}
titles.update({sc + 4: "TLS: " + titles[sc] for sc in (2, 3, 4)})
metrics = {1: [("msgs_per_s", "msg/s", 0), ("p50_us", "p50 µs", 1), ("p99_us", "p99 µs", 1)],
           2: [("msgs_per_s", "msg/s", 0), ("p50_us", "p50 µs", 1), ("p99_us", "p99 µs", 1)],
           3: [("msgs_per_s", "msg/s", 0), ("mb_per_s", "MB/s", 1), ("p50_us", "p50 µs", 1), ("p99_us", "p99 µs", 1)],
           4: [("rss_per_conn_kib", "server RSS KiB/conn", 2)],
           5: [("p50_us", "p50 µs", 1), ("p99_us", "p99 µs", 1), ("p999_us", "p99.9 µs", 1)]}
for sc in (1, 2, 3):
    metrics[sc] += [("server_cpu_pct", "server CPU % (1 core)", 0), ("load_cpu_pct", "load-tool CPU %", 0),
                    ("alloc_b_per_msg", "server allocated B/msg", 0)]
metrics.update({sc + 4: metrics[sc] for sc in (2, 3, 4)})
# permessage-deflate, beside Node ws (bench/deflate/echo-load.js and idle-load.js)
titles.update({9: "deflate: 16 conns, 4 in flight, 4 KiB JSON text", 10: f"deflate: {didle} idle conns"})
metrics[9] = [("msgs_per_s", "msg/s", 0), ("p50_us", "p50 µs", 1), ("p99_us", "p99 µs", 1),
              ("wire_in_b_per_msg", "wire B/msg server→client", 0), ("wire_out_b_per_msg", "wire B/msg client→server", 0),
              ("ratio_in", "compression ×, server→client", 2), ("ratio_out", "compression ×, client→server", 2),
              ("server_cpu_pct", "server CPU % (1 core)", 0), ("load_cpu_pct", "load-client (Node) CPU %", 0)]
metrics[10] = [("rss_per_conn_kib", "server RSS KiB/conn", 1)]
def med(sc, srv, key):
    v = [r[key] for r in rows if r["scenario"] == sc and r["server"] == srv and r.get(key) is not None and "failed" not in r]
    return (statistics.median(v), len(v)) if v else (None, 0)
def fmt(v, d):
    if v is None: return "–"
    return f"{v:,.{d}f}"
def ratio(a, b):
    # below one byte (Kestrel allocates next to nothing per message) a ratio says nothing
    return "–" if a is None or b is None or abs(b) < 1 else f"{a / b:.2f}"
def table(scenarios, servers, peers):
    # one row per metric: each server's median, then actorws / each peer
    out = ["| # | scenario | metric | " + " | ".join(servers) + " | " + " | ".join(f"actorws/{p}" for p in peers) + " |",
           "|---|---|---|" + "---:|" * (len(servers) + len(peers))]
    for sc in scenarios:
        for key, label, d in metrics[sc]:
            m = {s: med(sc, s, key)[0] for s in servers}
            out.append(f"| {sc} | {titles[sc]} | {label} | " + " | ".join(fmt(m[s], d) for s in servers)
                       + " | " + " | ".join(ratio(m["actorws"], m[p]) for p in peers) + " |")
        errs = {}
        for s in servers:
            rs = [r for r in rows if r["scenario"] == sc and r["server"] == s]
            errs[s] = "–" if not rs else str(sum(r.get("errors", 0) for r in rs) + sum(1 for r in rs if "failed" in r))
        out.append(f"| {sc} | {titles[sc]} | errors (all rounds) | " + " | ".join(errs[s] for s in servers) + " |" + " |" * len(peers))
    return "\n".join(out)
present = sorted({r["scenario"] for r in rows})
tables = []
if [sc for sc in present if sc <= 8]:
    tables.append(table([sc for sc in present if sc <= 8], ["actorws", "kestrel", "tcp-raw"], ["kestrel", "tcp-raw"]))
if [sc for sc in present if sc >= 9]:
    tables.append(table([sc for sc in present if sc >= 9], ["actorws", "node-ws"], ["node-ws"]))
print("\n\n".join(tables))
PY
)"

REPORT="$RESULTS/latest.md"
{
  echo "# ActorWs benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  [[ -n "$STANDIN" ]] && { echo "**$STANDIN**"; echo; }
  echo "$TABLE"
  echo
  echo "Median over $ROUNDS interleaved rounds (each metric's median taken separately); warm-up ${WARMUP} s, measurement ${DURATION} s."
  echo "Each server process started fresh for every (scenario, round). $PINNING."
  echo "Ratios are actorws divided by the peer: for msg/s and MB/s higher is better, for latency and RSS lower is better."
  echo "Latency = time from sending a message to receiving its echo, per message. MB/s = echoed payload bytes (10^6) per second."
  if [[ " $SCENARIOS " =~ \ (9|10)\  ]]; then
    echo "Scenarios 9-10 (permessage-deflate): one Node ws client for both servers (bench/deflate/echo-load.js, idle-load.js). Wire B/msg = TCP bytes per"
    echo "message over the window (frame header, mask, deflate output); compression × = 4096 / wire bytes (higher = smaller on the wire)."
    echo "Each server's agreement differs (ActorWs by default: no context takeover either way; Node ws: context takeover both ways), see the load logs."
    echo "A load-client CPU near 100 % means scenario 9's msg/s is the Node client's limit, not the server's."
  fi
  echo
  echo "## Environment"
  echo
  echo '```'
  echo "uname -a: $(uname -a)"
  echo "nproc:    $(nproc)"
  echo "CPU:      $CPU_MODEL"
  echo "dotnet:   $(dotnet --version 2>/dev/null)"
  echo "loadavg:  $LOADAVG_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (other processes on the machine add noise)"
  echo "command:  $COMMAND_LINE"
  echo "actorws:  $ACTORWS_CMD"
  echo "kestrel:  $KESTREL_CMD"
  echo "tcp-raw:  $TCP_CMD"
  echo "node-ws:  $NODE_WS_CMD   (ws $(node -p "require('./tests/interop/node_modules/ws/package.json').version" 2>/dev/null), node $(node --version 2>/dev/null))"
  for sc in $SCENARIOS; do echo "load $sc:   $PIN_LOAD $(scenario_load "$sc") $(scenario_args "$sc") --url $(is_tls "$sc" && echo wss || echo ws)://127.0.0.1:PORT/   $([[ $sc == [123] ]] && echo '  (+ --raw for tcp-raw)')$(is_tls "$sc" && echo "  (servers + $TLS_ARGS)")"; done
  echo "raw logs: $LOGDIR"
  echo '```'
} > "$REPORT"

echo
[[ -n "$STANDIN" ]] && echo "NOTE: $STANDIN"
echo "$TABLE"
echo
log "written $REPORT (raw results: $JSONL)"
