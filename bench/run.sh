#!/usr/bin/env bash
# Loopback echo comparison: each server implementation in its own process, the load client in another.
#
#   bench/run.sh                 full run (~10 s per cell), table in bench/results/<date>.md
#   bench/run.sh --quick         3 s per cell, to check the harness
#
# Environment (defaults in brackets):
#   IMPLS     servers to compare       [c-epoll conserv conserv-group kestrel dotnetty socket]
#             (also: conserv-spin = Conserv with EventLoopOptions.SpinBeforeWait = 50 µs; conserv-plain = Conserv with a driver keeping the default Features; c-epoll-spin = the C
#             server busy-polling 50 µs before each blocking epoll_wait)
#   CONNS     connection counts        [1 50]
#   SIZE      bytes per message        [64]
#   DEPTH     messages per round trip  [1 = ping-pong]
#   DURATION  measured seconds         [10]
#   WARMUP    warm-up seconds          [2]
#   MODES     pinned: server on CPU 0, client on CPU 1 (taskset); shared: both float over every core  [pinned shared]
#   OUT       the markdown file        [bench/results/<date>.md]
#   PORT      first port to use        [5700]
#   REPEAT    runs per row; the one least disturbed by other processes (lowest other CPU %) is kept  [1]
#   QUIET     before each row, wait (at most this many seconds) until the machine was <10% busy for a second  [0]
# Every server is started with --max-seconds, every client run is bounded by DURATION+WARMUP and a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
if [[ "${1:-}" == "--quick" ]]; then DURATION=3; WARMUP=${WARMUP:-1}; fi
WARMUP=${WARMUP:-2}
IMPLS=${IMPLS:-"c-epoll conserv conserv-group kestrel dotnetty socket"}
CONNS=${CONNS:-"1 50"}
SIZE=${SIZE:-64}
DEPTH=${DEPTH:-1}
MODES=${MODES:-"pinned shared"}
PORT=${PORT:-5700}
mkdir -p bench/results
OUT=${OUT:-bench/results/$(date +%Y-%m-%d).md}

echo "building..." >&2
dotnet build bench/EchoServers -c Release -v q -nologo >&2
dotnet build bench/LoadClient -c Release -v q -nologo >&2
SERVER_DLL=bench/EchoServers/bin/Release/net10.0/EchoServers.dll
CLIENT_DLL=bench/LoadClient/bin/Release/net10.0/LoadClient.dll
C_ECHO=bench/c-epoll-echo/bin/echo
if [[ " $IMPLS " == *" c-epoll"* ]]; then
  mkdir -p bench/c-epoll-echo/bin
  cc -O2 -Wall -Wextra -Werror -o "$C_ECHO" bench/c-epoll-echo/echo.c
fi

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

# Percent of all cores busy over the next second, from /proc/stat.
busy_percent_1s() {
  local a b
  a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
  echo "$a" "$b" | awk '{ for (i = 2; i <= 9; i++) { t1 += $i; t2 += $(i + 11) }
    i1 = $5 + $6; i2 = $16 + $17; print ((t2 - t1) - (i2 - i1)) * 100 / (t2 - t1) }'
}

LOG=$(mktemp)
ROWS=$(mktemp)
machine() {
  local hv; hv=$(lscpu | sed -n 's/^Hypervisor vendor: *//p')
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores${hv:+, $hv guest}"
  echo "- Memory: $(free -g | awk '/^Mem:/ {print $2}') GiB; kernel $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- .NET: $(dotnet --version) SDK, runtime $(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}'), workstation GC, tiered PGO (defaults)"
  echo "- DotNetty 0.7.6; Kestrel from Microsoft.AspNetCore.App $(dotnet --list-runtimes | awk '/AspNetCore.App/ {v=$2} END {print v}') (sockets transport, ConnectionHandler)"
}

{
  echo "# Loopback echo comparison — $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  machine
  echo "- Conserv at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Conserv.Runtime 2>/dev/null || echo ' (plus uncommitted Conserv.Runtime changes)')"
  echo "- Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $SIZE B messages, depth $DEPTH (1 = ping-pong), ${WARMUP} s warm-up then ${DURATION} s measured per row; every echoed byte verified."
  echo "- Columns: msg/s = messages echoed per second (all connections); MB/s = payload one way; p50/p99 = round-trip µs seen by the client;"
  echo "  server CPU = % of one core used by the server process (utime+stime from /proc) in the window; µs/msg = server CPU per message; client CPU likewise;"
  echo "  other CPU = CPU used meanwhile by every other process on the machine (from /proc/stat): anything well above 0 means the row is disturbed."
  echo "- Each row is the least disturbed (lowest other CPU) of ${REPEAT:-1} run(s)."
  echo
} > "$OUT"

for mode in $MODES; do
  if [[ $mode == pinned ]]; then
    SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
    { echo "## pinned: server on CPU 0, client on CPU 1"; echo
      echo "Each server sees one core (Environment.ProcessorCount = 1), so conserv-group has one loop and Kestrel one I/O queue."; echo; } >> "$OUT"
  else
    SERVER_CPU=(); CLIENT_CPU=()
    { echo "## shared: server and client float over all $(nproc) cores"; echo
      echo "Each server uses its defaults for $(nproc) cores (conserv-group: $(nproc) loops; Kestrel: $(nproc) I/O queues; DotNetty: $(nproc) workers); the client competes for the same cores."; echo; } >> "$OUT"
  fi
  echo "| server | conns | msg/s | MB/s | p50 µs | p99 µs | server CPU % | server µs/msg | client CPU % | other CPU % | check |" >> "$OUT"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|" >> "$OUT"
  for impl in $IMPLS; do
    for conns in $CONNS; do
      best=""
      for attempt in $(seq "${REPEAT:-1}"); do
        PORT=$((PORT + 1))
        if [[ ${QUIET:-0} -gt 0 ]]; then
          for _ in $(seq "$QUIET"); do busy_percent_1s | awk '{exit !($1 < 10)}' && break; done
        fi
        : > "$LOG"
        if [[ $impl == c-epoll ]]; then
          "${SERVER_CPU[@]}" "$C_ECHO" "$PORT" 120 > "$LOG" 2>&1 &
        elif [[ $impl == c-epoll-spin ]]; then
          "${SERVER_CPU[@]}" "$C_ECHO" "$PORT" 120 50 > "$LOG" 2>&1 &
        else
          "${SERVER_CPU[@]}" dotnet "$SERVER_DLL" --impl "$impl" --port "$PORT" --max-seconds 120 > "$LOG" 2>&1 &
        fi
        SERVER_PID=$!
        for _ in $(seq 150); do grep -q LISTENING "$LOG" && break; sleep 0.2; done
        if ! grep -q LISTENING "$LOG"; then
          row="| $impl | $conns | server did not start: $(tr '\n' ' ' < "$LOG" | cut -c1-120) |"
        else
          echo "$mode $impl conns=$conns run $attempt ..." >&2
          row=$(timeout $((DURATION + WARMUP + 30)) "${CLIENT_CPU[@]}" dotnet "$CLIENT_DLL" --port "$PORT" --connections "$conns" \
                  --size "$SIZE" --depth "$DEPTH" --duration "$DURATION" --warmup "$WARMUP" \
                  --server-pid "$SERVER_PID" --label "$impl" --markdown 2>&1) || row="| $impl | $conns | client failed: $(echo "$row" | tr '\n' ' ' | cut -c1-160) |"
          row=$(echo "$row" | grep '^|' | head -1 || true)
          [[ -n "$row" ]] || row="| $impl | $conns | client printed no result |"
        fi
        stop_server
        echo "$row" >&2
        # Keep the least disturbed run: the lowest "other CPU %" (column 11); a failed run only if nothing else.
        other=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $11); print ($11 ~ /^[0-9]+$/) ? $11 : 1e9}')
        if [[ -z "$best" ]] || awk -v a="$other" -v b="$best_other" 'BEGIN {exit !(a < b)}'; then
          best=$row; best_other=$other
        fi
        sleep 1
      done
      echo "$best" >> "$OUT"
    done
  done
  echo >> "$OUT"
done

echo "- Load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
rm -f "$LOG" "$ROWS"
echo "wrote $OUT" >&2
