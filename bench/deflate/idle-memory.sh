#!/usr/bin/env bash
# Memory per idle connection with permessage-deflate negotiated (RFC 7692), ActorWs next to Node ws
# and python-websockets. For each server: start it, read its RSS (VmRSS, /proc/PID/status) once it
# listens, open N connections with bench/deflate/idle-client.js (a Node ws client offering
# permessage-deflate, one 4 KiB JSON echo on each so compressor and decompressor were needed once),
# wait SETTLE seconds, read the RSS again: (after - before) / N is the cost of one idle connection.
# Env: N (2000)  SETTLE (5)  PORT_BASE (23000)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
N="${N:-2000}"; SETTLE="${SETTLE:-5}"; PORT="${PORT_BASE:-23000}"
OUT="bench/bin/deflate"; mkdir -p "$OUT"
dotnet publish src/ActorWs.Demo -c Release -o "$OUT/demo" --nologo -v q >/dev/null || { echo "build failed" >&2; exit 1; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() { # name client-flag command...
  local name="$1" flag="$2"; shift 2
  PORT=$((PORT + 1))
  local cmd="${*//\{port\}/$PORT}" log="$OUT/$name.log"
  bash -c "exec $cmd" > "$log" 2>&1 < /dev/null &
  local pid=$!
  for _ in $(seq 300); do grep -q '^LISTENING' "$log" && break; sleep 0.1; done
  sleep 1
  local before; before="$(rss "$pid")"
  coproc CLIENT { node bench/deflate/idle-client.js "ws://127.0.0.1:$PORT/" "$N" $flag; }
  local ready; read -r ready <&"${CLIENT[0]}"
  sleep "$SETTLE"
  local after; after="$(rss "$pid")"
  printf '%-36s %-58s before %7s KiB, after %7s KiB: %6.1f KiB per idle connection\n' "$name" "${ready#READY }" "$before" "$after" \
    "$(python3 -c "print(($after - $before) / $N)")"
  exec {CLIENT[1]}>&-; wait "$CLIENT_PID" 2>/dev/null
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

DEMO="dotnet $OUT/demo/ActorWs.Demo.dll serve --quiet --port {port}"
echo "N=$N idle connections, each after one 4 KiB JSON echo; $(nproc) cores; $(date -u +%F)"
measure "actorws (deflate, defaults)" "" "$DEMO"
echo 'actorws.compression.peer-context-takeover = on' > "$OUT/peer-ct.hocon"
measure "actorws (deflate, peer-context-takeover=on)" "" "$DEMO --config $OUT/peer-ct.hocon"
measure "actorws (no compression)" "--no-deflate" "$DEMO"
measure "node ws 8 (perMessageDeflate)" "" "node tests/interop/node-echo-server.js {port}"
measure "node ws 8 (no compression)" "--no-deflate" "node tests/interop/node-echo-server.js {port}"
measure "python-websockets (deflate, default)" "" "/usr/bin/python3 tests/interop/py-echo-server.py {port}"
measure "python-websockets (no compression)" "--no-deflate" "/usr/bin/python3 tests/interop/py-echo-server.py {port}"
