#!/usr/bin/env bash
# Fan-out across an Akka.Cluster: examples/Chat as 3 nodes (separate processes, 127.0.0.1) with
# LISTENERS connections on each, all in one room, and one publisher connection (on node 1) at RATE
# messages/s; then the same load on one node (3 × LISTENERS connections to it). Each message carries
# its send time; every listener records delivery latency. The load is one ActorWs.Load process
# (`fanout` mode): a process may hold 20,000 descriptors, 3,001 connections fit.
# Writes bench/results/cluster-latest.md. See bench/README.md ("cluster.sh").
#
# Env: LISTENERS (1000 per node)  RATES ("1000 100 10" msg/s, one row each)  TOPOLOGIES ("cluster single")
#      WARMUP (5 s)  DURATION (10 s)  DRAIN (60 s: longest wait for late deliveries)
#      PORT_BASE (23000)  SKIP_BUILD (unset)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COMMAND_LINE=""
for v in LISTENERS RATES TOPOLOGIES WARMUP DURATION DRAIN PORT_BASE SKIP_BUILD; do
  [[ -n "${!v:-}" ]] && COMMAND_LINE+="$v=$(printf '%q' "${!v}") "
done
COMMAND_LINE+="bench/cluster.sh"
LISTENERS="${LISTENERS:-1000}"
RATES="${RATES:-1000 100 10}"
TOPOLOGIES="${TOPOLOGIES:-cluster single}"
WARMUP="${WARMUP:-5}"
DURATION="${DURATION:-10}"
DRAIN="${DRAIN:-60}"
PORT_BASE="${PORT_BASE:-23000}"
NODES=3
BIN="bench/bin"
LOGDIR="$BIN/cluster-logs/$(date +%Y%m%d-%H%M%S)"
JSONL="$LOGDIR/results.jsonl"
REPORT="bench/results/cluster-latest.md"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p bench/results "$LOGDIR"
: > "$JSONL"

log() { printf '[cluster.sh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
command -v python3 >/dev/null || die "python3 is needed for the summary"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

# Every process (nodes, load tool) inherits this: the single node holds 3 × LISTENERS + 1 sockets.
WANT_FD=20000
HARD_FD="$(ulimit -Hn)"
[[ "$HARD_FD" != unlimited && "$HARD_FD" -lt "$WANT_FD" ]] && WANT_FD="$HARD_FD"
ulimit -n "$WANT_FD" || die "cannot raise ulimit -n to $WANT_FD"
(( NODES * LISTENERS + 200 > WANT_FD )) && die "ulimit -n is $WANT_FD, too low for $((NODES * LISTENERS)) connections in one process"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  for p in examples/Chat/Chat.csproj bench/ActorWs.Load/ActorWs.Load.csproj; do
    name="$(basename "$p" .csproj)"
    log "building $name"
    timeout 600 dotnet build -c Release -nologo -v q -o "$BIN/$name" "$p" > "$LOGDIR/build-$name.log" 2>&1 \
      || { cat "$LOGDIR/build-$name.log" >&2; die "build of $name failed"; }
  done
fi
CHAT="dotnet $BIN/Chat/Chat.dll"
LOAD="dotnet $BIN/ActorWs.Load/ActorWs.Load.dll"

# ---------------------------------------------------------------- nodes
NODE_PIDS=()
LOAD_PID=""

stop_nodes() {
  local pid
  # SIGTERM: the node closes its connections (1001) and leaves the cluster; KILL after 15 s.
  for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 150); do
    local alive=0
    for pid in "${NODE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${NODE_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  NODE_PIDS=()
}
cleanup() {
  [[ -n "$LOAD_PID" ]] && kill -KILL "$LOAD_PID" 2>/dev/null
  stop_nodes
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_nodes COUNT PREFIX: node i listens on PORT_BASE+i (WebSocket) and PORT_BASE+10+i (cluster),
# node 1 is the seed. Waits until every node has printed MEMBER UP for all COUNT members.
start_nodes() {
  local count="$1" prefix="$2" i
  for i in $(seq "$count"); do
    for p in $((PORT_BASE + i)) $((PORT_BASE + 10 + i)); do port_in_use "$p" && { log "port $p is in use"; return 1; }; done
  done
  for i in $(seq "$count"); do
    # --no-presence: no join/leave notices, which would be N²/2 room messages for N listeners.
    # exec: the PID is the node's own, for its CPU time in /proc/PID/stat.
    bash -c "exec $CHAT --port $((PORT_BASE + i)) --cluster-port $((PORT_BASE + 10 + i)) --seed 127.0.0.1:$((PORT_BASE + 11)) --no-presence" \
      > "$prefix-node$i.log" 2>&1 < /dev/null &
    NODE_PIDS+=($!)
  done
  for _ in $(seq 900); do
    local ready=0
    for i in $(seq "$count"); do
      kill -0 "${NODE_PIDS[$((i - 1))]}" 2>/dev/null || { log "node $i exited: $(tail -3 "$prefix-node$i.log")"; return 1; }
      (( $(grep -c '^MEMBER UP' "$prefix-node$i.log") >= count )) && grep -q '^LISTENING' "$prefix-node$i.log" && ready=$((ready + 1))
    done
    (( ready == count )) && return 0
    sleep 0.1
  done
  log "the nodes did not all see $count members up within 90 s"
  return 1
}

run_one() { # topology rate
  local topo="$1" rate="$2" prefix="$LOGDIR/$1-$2" count per urls="" pids="" i rc out la0
  if [[ "$topo" == cluster ]]; then count=$NODES; per=$LISTENERS; else count=1; per=$((NODES * LISTENERS)); fi
  if ! start_nodes "$count" "$prefix"; then
    echo "{\"topology\":\"$topo\",\"rate\":$rate,\"failed\":\"nodes did not start\"}" >> "$JSONL"
    stop_nodes; return
  fi
  for i in $(seq "$count"); do
    urls+=" --url ws://127.0.0.1:$((PORT_BASE + i))/chat?room=bench&nick=listener$i"
    pids+=" --pid ${NODE_PIDS[$((i - 1))]}"
  done
  la0="$(cut -d' ' -f1 /proc/loadavg)"
  local args="fanout$urls --connections $per --publisher-url ws://127.0.0.1:$((PORT_BASE + 1))/chat?room=bench&nick=publisher --rate $rate --warmup $WARMUP --duration $DURATION --drain $DRAIN$pids --label $topo"
  echo "# $LOAD $args" > "$prefix.load.log"
  log "$topo, $rate msg/s: $count node(s) x $per listeners"
  # The limit covers opening, the probes (ready-timeout 120 s), warm-up, measurement, drain, close.
  timeout -k 5 $((200 + ${WARMUP%.*} + ${DURATION%.*} + ${DRAIN%.*})) $LOAD $args >> "$prefix.load.log" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID"; rc=$?
  LOAD_PID=""
  # Peak resident memory of each node: an overloaded node queues the backlog in its mailboxes.
  local hwm=""
  for i in $(seq "$count"); do
    kill -0 "${NODE_PIDS[$((i - 1))]}" 2>/dev/null || log "node $i died during the run: $(tail -3 "$prefix-node$i.log")"
    hwm+="$(awk '/^VmHWM/ {printf "%d,", $2 / 1024}' "/proc/${NODE_PIDS[$((i - 1))]}/status" 2>/dev/null)"
  done
  stop_nodes
  out="$(grep '^RESULT ' "$prefix.load.log" | tail -1 | cut -c8-)"
  if [[ -z "$out" ]]; then
    log "$topo $rate: no RESULT (exit $rc), see $prefix.load.log"
    echo "{\"topology\":\"$topo\",\"rate\":$rate,\"failed\":\"no result (exit $rc)\"}" >> "$JSONL"
    return
  fi
  log "$(grep '^fanout ' "$prefix.load.log" | tail -1)"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(topology=sys.argv[2], loadavg_before=float(sys.argv[3]), loadavg_after=float(sys.argv[4]), node_peak_rss_mib=[int(x) for x in sys.argv[5].split(",") if x]); print(json.dumps(d))' \
    "$out" "$topo" "$la0" "$(cut -d' ' -f1 /proc/loadavg)" "$hwm" >> "$JSONL"
}

LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "topologies='$TOPOLOGIES' rates='$RATES' listeners=$LISTENERS/node warmup=${WARMUP}s duration=${DURATION}s; logs in $LOGDIR"
# Rate by rate, the topologies side by side (cluster, then single, at the same rate).
for rate in $RATES; do
  for topo in $TOPOLOGIES; do
    run_one "$topo" "$rate"
  done
done
LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- summary
TABLE="$(python3 - "$JSONL" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = ["| topology | listeners | publisher msg/s (target → sent) | deliveries/s expected | delivered/s in the window | sustained deliveries/s | sustained / expected | lost (of expected) | p50 | p99 | max | last delivery after last send | CPU % nodes | CPU % load tool | node peak RSS MiB | load avg (1 min) before → after | errors |",
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
def ms(v):
    return "–" if v is None else (f"{v:,.1f} ms" if v < 1000 else f"{v / 1000:,.2f} s")
for r in rows:
    if "failed" in r:
        out.append(f"| {r['topology']} | | {r['rate']:.0f} | | | | | | | | | | | | | | failed: {r['failed']} |")
        continue
    topo = f"{r['nodes']} nodes × {r['listeners_per_node']:,}" if r["nodes"] > 1 else f"1 node × {r['listeners_per_node']:,}"
    ratio = r["sustained_per_s"] / r["expected_per_s"] if r["expected_per_s"] else 0
    rss = " + ".join(str(x) for x in r.get("node_peak_rss_mib", [])) or "–"
    cpu = " + ".join("–" if c is None else f"{c:.0f}" for c in r["node_cpu_pct"])
    out.append(f"| {topo} | {r['connections']:,} | {r['rate']:,.0f} → {r['published_per_s']:,.0f} | {r['expected_per_s']:,.0f} | {r['delivered_per_s']:,.0f} | {r['sustained_per_s']:,.0f} | {ratio:.0%} "
               f"| {r['lost']:,} ({r['lost_pct']:.2f} %) | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['max_ms'])} | {r['drain_s']:.1f} s | {cpu} | {r['load_cpu_pct']:.0f} | {rss} "
               f"| {r['loadavg_before']:.1f} → {r['loadavg_after']:.1f} | {r['errors']}{' (' + r['note'] + ')' if r.get('note') else ''} |")
print("\n".join(out))
PY
)"

{
  echo "# ActorWs cluster fan-out — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$TABLE"
  echo
  echo "examples/Chat (\`--no-presence\`) nodes on 127.0.0.1, every listener in the room \`bench\`; one publisher connection on node 1;"
  echo "warm-up ${WARMUP} s, measurement ${DURATION} s. Latency = receive time − send time stamped in the message (one clock: the load"
  echo "tool holds the publisher and every listener), over every message of the measurement × every listener. delivered/s in the window ="
  echo "messages received by the listeners during the measurement window (under overload these include queued warm-up messages);"
  echo "sustained = the measurement's messages received ÷ (window + time until the last of them arrived); lost = published in the window ×"
  echo "listeners − received (after waiting up to ${DRAIN} s for late ones). CPU = user + system time of each process during the window,"
  echo "% of one core (2 cores in all): under a load average above 2 it is the share each process got, not what it wanted."
  echo "Nothing is pinned: 3 nodes + the load tool share the 2 cores (and other work on the machine: see the load average)."
  echo
  echo '```'
  echo "uname -a: $(uname -a)"
  echo "nproc:    $(nproc)"
  echo "CPU:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "dotnet:   $(dotnet --version 2>/dev/null)"
  echo "loadavg:  $LOADAVG_START at start, $LOADAVG_END at end"
  echo "command:  $COMMAND_LINE"
  echo "node i:   $CHAT --port $((PORT_BASE))+i --cluster-port $((PORT_BASE + 10))+i --seed 127.0.0.1:$((PORT_BASE + 11)) --no-presence"
  echo "load:     $LOAD fanout --url ws://127.0.0.1:PORT/chat?room=bench&nick=listenerI [--url ...] --connections N --publisher-url ws://127.0.0.1:$((PORT_BASE + 1))/chat?room=bench&nick=publisher --rate R --warmup $WARMUP --duration $DURATION --drain $DRAIN --pid ..."
  echo "raw logs: $LOGDIR"
  echo '```'
} > "$REPORT"

echo
echo "$TABLE"
echo
log "written $REPORT (raw results: $JSONL)"
