#!/usr/bin/env bash
# The seed's question: one instance with continuous batching, or several instances behind the gateway?
#   bench/single-vs-fleet.sh MODEL [LEVELS] [PROMPTS]
# Runs `sharpserve bench serve` (random prompts, --ignore-eos) at each concurrency level against
#   single:   one `sharpserve serve` using every core, and
#   fleet:    `sharpserve fleet` with two instances behind the gateway and half the memory each, once with half the
#             cores each (fleet-split) and once with every core each (fleet-shared),
# one after the other on this machine, and leaves each run's JSON and PNG in bench/results/single-vs-fleet/.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 MODEL [LEVELS=1,2,4,8] [PROMPTS=8]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$(realpath "$1")"
levels="${2:-1,2,4,8}"
prompts="${3:-8}"
cores="$(nproc)"
half=$(( cores > 1 ? cores / 2 : 1 ))
out="$root/bench/results/single-vs-fleet"
mkdir -p "$out"
engine=(--max-model-len 2048 --max-num-batched-tokens 512 --max-num-seqs 16)
load=(--random-input-len 128 --random-output-len 64 --ignore-eos --num-prompts "$prompts" --sweep-concurrency "$levels" --num-warmups 1 --disable-progress)

"$root/sharpserve" --help >/dev/null   # build once
server=""
stop() { [ -z "$server" ] || { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; }; }
trap stop EXIT

wait_healthy() {
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/health" && return 0
    sleep 1
  done
  echo "error: nothing healthy on port $1 after 10 minutes" >&2
  exit 1
}

echo "== single: 1 instance, $cores threads, memory utilization 0.4"
"$root/sharpserve" serve --model "$model" --host 127.0.0.1 --port 18100 --threads "$cores" --gpu-memory-utilization 0.4 "${engine[@]}" \
  >"$out/single-server.log" 2>&1 &
server=$!
wait_healthy 18100
"$root/sharpserve" bench serve --base-url http://127.0.0.1:18100 "${load[@]}" --result-file "$out/single.json" --plot "$out/single.png"
stop

run_fleet() { # NAME THREADS
  echo "== $1: 2 instances behind the gateway, $2 thread(s) each, memory fraction 0.2 each"
  "$root/sharpserve" fleet --model "$model" --instances 2 --threads "$2" --memory-ceiling 0.4 --host 127.0.0.1 --port 18200 \
    --instance-port 18201 --instance-port 18202 --log-dir "$out/$1-logs" "${engine[@]}" >"$out/$1.log" 2>&1 &
  server=$!
  for port in 18201 18202; do wait_healthy "$port"; done
  wait_healthy 18200
  "$root/sharpserve" bench serve --base-url http://127.0.0.1:18200 "${load[@]}" --result-file "$out/$1.json" --plot "$out/$1.png"
  stop
}

run_fleet fleet-split "$half"     # the cores divided between the instances, as a GPU's memory is
run_fleet fleet-shared "$cores"   # every instance on every core, competing for them
