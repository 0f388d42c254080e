#!/usr/bin/env bash
# Serve ConvLab on a loopback port, run the classroom Locust file headless against it, print
# the summary and stop the server. Only 127.0.0.1; every run is bounded in time.
#
#   bench/run_load.sh                         # 100 students, 2 minutes, 2 workers
#   USERS=600 DURATION=60s NAME=overload bench/run_load.sh
#   MAX_CONCURRENCY=100000 USERS=600 DURATION=60s NAME=overload-nolimit bench/run_load.sh
#
# Results: bench/results/<NAME>_stats.csv (Locust's CSV) and <NAME>_summary.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
USERS="${USERS:-100}"
SPAWN_RATE="${SPAWN_RATE:-10}"
DURATION="${DURATION:-2m}"
WORKERS="${WORKERS:-2}"
PORT="${PORT:-18765}"
NAME="${NAME:-classroom}"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"

export CONVLAB_WORKERS="$WORKERS" CONVLAB_PORT="$PORT" CONVLAB_HOST=127.0.0.1
[ -n "${MAX_CONCURRENCY:-}" ] && export CONVLAB_MAX_CONCURRENCY="$MAX_CONCURRENCY"
"$ROOT/.venv/bin/convlab" serve --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" \
  >"$OUT/${NAME}_server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/health" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/${NAME}_server.log"; exit 1; }
  sleep 0.2
done

server_cpu() {  # CPU seconds used so far by the server and its workers
  local ticks=0 pid
  for pid in "$SERVER" $(pgrep -P "$SERVER"); do
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  python3 -c "print(f'{$ticks / $(getconf CLK_TCK):.1f}')"
}

echo "convlab: $WORKERS workers on 127.0.0.1:$PORT; locust: $USERS users for $DURATION"
server_cpu0=$(server_cpu)
t0=$(date +%s)
start_cpu=$(awk '{print $1+$2+$3+$4+$5+$6+$7, $4}' /proc/stat | head -1)
"$PY" -m locust -f "$ROOT/bench/locustfile.py" --headless -u "$USERS" -r "$SPAWN_RATE" \
  -t "$DURATION" --stop-timeout 10 --host "http://127.0.0.1:$PORT" \
  --csv "$OUT/$NAME" --only-summary --loglevel WARNING >"$OUT/${NAME}_locust.log" 2>&1 || true
end_cpu=$(awk '{print $1+$2+$3+$4+$5+$6+$7, $4}' /proc/stat | head -1)
server_cpu1=$(server_cpu)
t1=$(date +%s)
"$PY" "$ROOT/bench/load_summary.py" "$OUT/${NAME}_stats.csv" \
  --title "$NAME: $USERS users, $DURATION, $WORKERS workers" \
  --cpu $start_cpu $end_cpu | tee "$OUT/${NAME}_summary.txt"
python3 -c "print(f'Server CPU (all workers): {($server_cpu1 - $server_cpu0) / max($t1 - $t0, 1):.2f} cores on average')" \
  | tee -a "$OUT/${NAME}_summary.txt"
