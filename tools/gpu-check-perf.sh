#!/usr/bin/env bash
# Issue 9's measurements on a real GPU (prepared here, not run yet: no session has had a card). Publish as for
# tools/gpu-check.sh, then run there: command "bash tools/gpu-check-perf.sh", carry [".build/gpu"]. Results go to $OUT
# (summary.md first). STAGES picks what runs (default "single batch fleet"; one device call is at most 10 minutes, so run
# "single batch" and "fleet" as two calls if needed):
#   single  HBM bandwidth (PyTorch copy), then one sequence: a 512-token prefill and 128 decode tokens with `generate`,
#           decode against the ceiling bandwidth / bytes read per token
#   batch   `bench engine` at 1, 32 and 256 concurrent sequences (input 128, output 128)
#   fleet   `fleet --device cuda --instances 2|4`, weights shared and not (--no-share-weights), each under
#           `bench serve` through the gateway: request throughput and P99 latency
# The model is the r1-distill-1.5b preset, random bf16 weights in HF format (MODEL_DIR overrides). DEVICE=cpu with a
# small PRESET=tiny is a dry run of the script itself.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(pwd)/.build/gpu-check-perf}"
bin="${SHARPSERVE:-.build/gpu/sharpserve}"
device="${DEVICE:-cuda}"
preset="${PRESET:-r1-distill-1.5b}"
stages="${STAGES:-single batch fleet}"
port="${PORT:-8400}"
mkdir -p "$out"
summary="$out/summary.md"
log="$out/log.txt"
echo "# gpu-check-perf $(date -u +%FT%TZ), --device $device, $preset bf16, stages: $stages" > "$summary"

source tools/gpu-check/preamble.sh

export SHARPSERVE_CACHE="$out/cache"
model="${MODEL_DIR:-$out/models/$preset-bf16}"
if [ ! -e "$model" ] && ! "$bin" create-model --preset "$preset" --format hf --dtype bf16 --seed 1 --out "$model" --tokenizer "$tokenizer" >> "$log" 2>&1; then
  echo "- create-model failed (log.txt)" | tee -a "$summary"; exit 1
fi
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv >> "$summary" 2>&1; fi
failed=0

stage() { case " $stages " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if stage single; then
  bandwidth=$(python3 tools/gpu-check/hbm_bandwidth.py 2>> "$log" || echo "")
  bytes=$(python3 tools/gpu-check/decode_bytes.py "$model" 2>> "$log" || echo "")
  ids=$(python3 -c "import random; random.seed(1); print(','.join(str(random.randrange(1000, 30000)) for _ in range(512)))")
  for run in 1 2 3; do
    if ! "$bin" generate --model "$model" --prompt-ids "$ids" --max-tokens 128 --ignore-eos --temperature 0 --device "$device" \
        > /dev/null 2> "$out/generate-$run.txt"; then
      echo "- generate failed (generate-$run.txt)" >> "$summary"; failed=1; break
    fi
    grep -h '^Device:\|prefill' "$out/generate-$run.txt" | sed 's/^/    /' >> "$out/generate.txt"
  done
  decode=$(grep -ho 'decode [0-9.]* tok/s' "$out"/generate-*.txt 2>/dev/null | awk '{print $2}' | sort -n | sed -n 2p)
  prefill=$(grep -ho 'prefill [0-9.]* tok/s' "$out"/generate-*.txt 2>/dev/null | awk '{print $2}' | sort -n | sed -n 2p)
  echo "- one sequence, median of 3: prefill of 512 tokens ${prefill:-?} tok/s, decode ${decode:-?} tok/s" >> "$summary"
  if [ -n "$bandwidth" ] && [ -n "$bytes" ] && [ -n "$decode" ]; then
    python3 -c "b=$bandwidth; n=$bytes; d=$decode; c=b*1e9/n; print(f'- decode ceiling: {b:.0f} GB/s measured / {n/1e9:.3f} GB read per token = {c:.0f} tok/s; SharpServe reaches {d:.1f} tok/s = {100*d/c:.0f} % ({d*n/1e9:.0f} GB/s)')" >> "$summary"
  else
    echo "- decode ceiling: not computed (bandwidth '${bandwidth}', bytes '${bytes}'; log.txt)" >> "$summary"
  fi
  sed -n 1,2p "$out/generate.txt" >> "$summary"
fi

if stage batch; then
  for level in "1 8" "32 64" "256 256"; do
    set -- $level
    if "$bin" bench engine --model "$model" --device "$device" --input-len 128 --output-len 128 --concurrency "$1" --num-prompts "$2" \
        --max-num-seqs "$1" --max-num-batched-tokens 4096 > "$out/bench-engine-$1.txt" 2>> "$log"; then
      { echo "- bench engine, $1 concurrent:"; sed 's/^/    /' "$out/bench-engine-$1.txt"; } >> "$summary"
    else
      echo "- bench engine at $1 concurrent failed (log.txt)" >> "$summary"; failed=1
    fi
  done
fi

# One fleet on the card under bench serve through its gateway; $1 instances, $2 "shared" or "own" weights.
fleet_run() {
  local instances=$1 weights=$2 logs="$out/fleet-$1-$2" flags=()
  [ "$weights" = own ] && flags+=(--no-share-weights)
  rm -rf "$logs"
  "$bin" fleet --model "$model" --served-model-name m --device "$device" --instances "$instances" "${flags[@]}" \
    --host 127.0.0.1 --port "$port" --max-model-len 1024 --log-dir "$logs" > "$logs.txt" 2>&1 &
  local fleet=$! ready=0
  for _ in $(seq 1 300); do
    if ! kill -0 "$fleet" 2>/dev/null; then break; fi
    local healthy=0
    for i in $(seq 1 "$instances"); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((port + i))/health")" = 200 ] && healthy=$((healthy + 1))
    done
    if [ "$healthy" = "$instances" ]; then ready=1; break; fi
    sleep 1
  done
  # The gateway's own probes take the instances into rotation a moment later.
  for _ in $(seq 1 30); do
    [ "$ready" = 1 ] || break
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
      -d '{"model": "m", "prompt": "Hi", "max_tokens": 1}')" = 200 ] && break
    sleep 1
  done
  if [ "$ready" = 1 ] && "$bin" bench serve --base-url "http://127.0.0.1:$port" --model m --num-prompts 128 --max-concurrency 32 \
      --random-input-len 128 --random-output-len 64 --ignore-eos --disable-progress > "$logs-bench.txt" 2>> "$log"; then
    local rps p99 smi=""
    rps=$(grep -h 'Request throughput' "$logs-bench.txt" | awk '{print $NF}')
    p99=$(grep -h 'P99 E2EL' "$logs-bench.txt" | awk '{print $NF}')
    if command -v nvidia-smi >/dev/null 2>&1; then
      smi=$(nvidia-smi --query-compute-apps=used_memory --format=csv,noheader,nounits | awk '{s+=$1} END {print s " MiB on the card"}')
    fi
    echo "- fleet, $instances instances, $weights weights: ${rps:-?} req/s, P99 end-to-end ${p99:-?} ms (32 in flight, 128 requests, 128 in / 64 out); $smi" >> "$summary"
  else
    echo "- fleet, $instances instances, $weights weights: not ready or the benchmark failed ($(basename "$logs").txt, log.txt)" >> "$summary"; failed=1
  fi
  kill -TERM "$fleet" 2>/dev/null
  wait "$fleet"
}

if stage fleet; then
  for instances in 2 4; do
    fleet_run "$instances" shared
    fleet_run "$instances" own
  done
fi

cat "$summary"
exit "$failed"
