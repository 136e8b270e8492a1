#!/usr/bin/env bash
# Issue 9's check on a real GPU, for a session lent one through the device tool. Not run yet: no session of issue 9
# has been lent a GPU. Prepare here (a self-contained single file, ~61 MB: the device machine has no .NET):
#   dotnet publish src/SharpServe.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
#     -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=true -o .build/gpu
#   gzip -c ../shared/models/qwen2-tokenizer/qwen3-tokenizer.json > .build/gpu/qwen3-tokenizer.json.gz   # no ../shared there
# then run there: command "bash tools/gpu-check.sh", carry [".build/gpu"]. Results go to $OUT, summary.md first.
# For each preset it creates the random bf16 HF model, prints SharpServe's logits at every prompt position on --device
# (cuda; DEVICE=cpu for a dry run without a card) and compares them with PyTorch's Qwen2ForCausalLM in f32 on the same
# files (tools/gpu-check/compare_logits.py), and reports a seeded continuation drawn on the device against the CPU's.
# PRESETS limits the presets (default: tiny r1-distill-1.5b). Its companions: tools/gpu-check-shared-weights.sh (two
# instances mapping one copy of the weights over CUDA IPC) and tools/gpu-check-perf.sh (bandwidth, decode and prefill,
# 1/32/256 sequences, 2 and 4 instances with and without shared weights).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(pwd)/.build/gpu-check}"
bin="${SHARPSERVE:-.build/gpu/sharpserve}"
device="${DEVICE:-cuda}"
presets="${PRESETS:-tiny r1-distill-1.5b}"
mkdir -p "$out"
summary="$out/summary.md"
log="$out/log.txt"
echo "# gpu-check $(date -u +%FT%TZ), --device $device" > "$summary"

source tools/gpu-check/preamble.sh

if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi > "$out/nvidia-smi.txt" 2>&1; fi
export SHARPSERVE_CACHE="$out/cache"
# The distill's chat opening, a few words and digits: 13 positions.
ids="151646,9707,11,1879,0,151648,3555,374,220,17,10,17,30"
failed=0
for preset in $presets; do
  model="$out/models/$preset-bf16"
  if [ ! -e "$model" ] && ! "$bin" create-model --preset "$preset" --format hf --dtype bf16 --seed 1 --out "$model" --tokenizer "$tokenizer" >> "$log" 2>&1; then
    echo "- $preset: create-model failed (log.txt)" >> "$summary"; failed=1; continue
  fi

  start=$(date +%s%N)
  if ! "$bin" logits --model "$model" --prompt-ids "$ids" --device "$device" --out "$out/$preset-sharpserve.jsonl" >> "$log" 2>&1; then
    echo "- $preset: sharpserve logits --device $device failed (log.txt)" >> "$summary"; failed=1; continue
  fi
  echo "- $preset: sharpserve logits on $(grep -h '^Device:' "$log" | tail -1) in $(( ($(date +%s%N) - start) / 1000000 )) ms (load, upload, one prefill)" >> "$summary"

  if ! python3 tools/gpu-check/compare_logits.py "$model" "$ids" "$out/$preset-sharpserve.jsonl" >> "$summary" 2>> "$log"; then
    echo "- $preset: the PyTorch comparison failed (log.txt)" >> "$summary"; failed=1
  fi

  # The engine's path, sampling on the device: a seeded top-p continuation there and on the CPU (a report, not a gate:
  # the two backends' logits differ in the last bits, so a draw near a boundary may go the other way).
  for where in "$device" cpu; do
    "$bin" generate --model "$model" --prompt-ids "$ids" --max-tokens 24 --ignore-eos --temperature 0.7 --top-p 0.9 --seed 5 \
      --device "$where" > "$out/$preset-generate-$where.txt" 2>> "$log" || { echo "- $preset: generate --device $where failed (log.txt)" >> "$summary"; failed=1; }
  done
  if cmp -s "$out/$preset-generate-$device.txt" "$out/$preset-generate-cpu.txt"; then same="the same text"; else same="different text"; fi
  echo "- $preset: seeded generate (T 0.7, top-p 0.9, 24 tokens) on $device and on the CPU: $same" >> "$summary"
done

cat "$summary"
exit "$failed"
