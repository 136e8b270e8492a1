#!/usr/bin/env bash
# Issue 9's shared-weights check on a real GPU (prepared here, not run yet: no session has had a card). Publish as for
# tools/gpu-check.sh, then run there: command "bash tools/gpu-check-shared-weights.sh", carry [".build/gpu"].
# It creates the tiny bf16 model, starts `fleet --device cuda --instances 2` (the fleet holds one copy of the weights on
# the card; each instance maps it through CUDA IPC), waits until both instances answer /health, sends one completion per
# instance through the gateway (round-robin), and prints the fleet's weight line, each instance's weight and KV lines and
# nvidia-smi's per-process memory. Results go to $OUT (summary.md first). DEVICE=cpu is a dry run of the script itself
# (no card: the instances load their own weights and no "shared from" line appears).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(pwd)/.build/gpu-check-shared}"
bin="${SHARPSERVE:-.build/gpu/sharpserve}"
device="${DEVICE:-cuda}"
port="${PORT:-8300}"
mkdir -p "$out"
summary="$out/summary.md"
log="$out/log.txt"
echo "# gpu-check-shared-weights $(date -u +%FT%TZ), fleet --device $device --instances 2" > "$summary"

source tools/gpu-check/preamble.sh

export SHARPSERVE_CACHE="$out/cache"
model="$out/models/tiny-bf16"
if [ ! -e "$model" ] && ! "$bin" create-model --preset tiny --format hf --dtype bf16 --seed 1 --out "$model" --tokenizer "$tokenizer" >> "$log" 2>&1; then
  echo "- create-model failed (log.txt)" | tee -a "$summary"; exit 1
fi

logs="$out/fleet-logs"
rm -rf "$logs"
"$bin" fleet --model "$model" --served-model-name tiny --device "$device" --instances 2 --routing round-robin \
  --host 127.0.0.1 --port "$port" --max-model-len 512 --max-num-batched-tokens 256 --log-dir "$logs" > "$out/fleet.txt" 2>&1 &
fleet=$!

failed=0
for instance in $((port + 1)) $((port + 2)); do
  ready=0
  for _ in $(seq 1 180); do
    if ! kill -0 "$fleet" 2>/dev/null; then break; fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$instance/health")" = "200" ]; then ready=1; break; fi
    sleep 1
  done
  if [ "$ready" = 1 ]; then echo "- instance on port $instance: healthy" >> "$summary"; else echo "- instance on port $instance: not healthy within 180 s (fleet.txt, fleet-logs/)" >> "$summary"; failed=1; fi
done

if [ "$failed" = 0 ]; then
  for n in 1 2; do
    reply=$(curl -s -w ' HTTP %{http_code}' "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
      -d '{"model": "tiny", "prompt": "Hello, my name is", "max_tokens": 8, "temperature": 0}')
    echo "- completion $n through the gateway: ${reply:0:300}" >> "$summary"
    case "$reply" in *"HTTP 200") ;; *) failed=1 ;; esac
  done
fi

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv > "$out/nvidia-smi-apps.csv" 2>&1
  { echo "- nvidia-smi per process (the fleet holds the weights; each instance its activations and KV):"; sed 's/^/    /' "$out/nvidia-smi-apps.csv"; } >> "$summary"
fi

kill -TERM "$fleet" 2>/dev/null
wait "$fleet"
{
  echo "- fleet: $(grep -h -e 'fleet: device:' -e 'fleet: weights:' "$out/fleet.txt" | tr '\n' ' ')"
  for file in "$logs"/instance_*.log; do
    echo "- $(basename "$file"): $(grep -h -o -e 'weights: .*' -e 'KV cache: .*' "$file" | head -2 | tr '\n' ' ')"
  done
  if [ -e "$logs/shared-weights.json" ]; then echo "- the manifest is still there after the fleet stopped (it should be removed)"; fi
} >> "$summary"
if [ "$device" = cuda ] && ! grep -q 'weights: shared from' "$logs"/instance_*.log; then
  echo "- no instance logged 'weights: shared from': the weights were not shared" >> "$summary"; failed=1
fi

cat "$summary"
exit "$failed"
