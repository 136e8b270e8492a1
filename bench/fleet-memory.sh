#!/usr/bin/env bash
# Memory of N `sharpserve serve` instances of one model, from /proc/PID/smaps_rollup and smaps.
#   bench/fleet-memory.sh MODEL N
# Starts N instances on free 127.0.0.1 ports (KV cache 256MiB, 256 batched tokens, so the
# per-instance anonymous memory stays small), sends each one short completion so its weights are
# read, prints per instance and in total: Pss, Pss_Anon, Pss_File and the Pss of the model file's
# mappings (MiB), then stops them. PSS charges a page shared by k processes 1/k to each, so the
# total model-file PSS is the page cache's copy of the weights however many instances map it.
set -euo pipefail
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 MODEL N   (MODEL a GGUF file, N instances >= 1)" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$(realpath "$1")"
count="$2"
[ -f "$model" ] || { echo "error: $model is not a file (this script measures a single-file GGUF model)" >&2; exit 2; }

"$root/sharpserve" --help >/dev/null   # build once before the instances start, not N times at once
logs="$(mktemp -d)"
pids=()
ports=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT

# A port nothing answers on now (a server that still loses the race fails to bind and is reported).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [[ ! " ${ports[*]} " =~ " $port " ]]; then
      echo "$port"
      return
    fi
  done
}

for i in $(seq 1 "$count"); do
  port="$(free_port)"
  "$root/sharpserve" serve --model "$model" --host 127.0.0.1 --port "$port" \
    --kv-cache-memory 256MiB --max-num-batched-tokens 256 --max-num-seqs 4 --max-model-len 2048 >"$logs/$i.log" 2>&1 &
  pids+=("$!")
  ports+=("$port")
done

for i in "${!pids[@]}"; do
  deadline=$((SECONDS + 300))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[$i]}/health")" = 200 ]; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: instance $((i + 1)) on port ${ports[$i]} did not become ready:" >&2
      cat "$logs/$((i + 1)).log" >&2
      exit 1
    fi
    sleep 0.5
  done
done

# One at a time: on a small CPU the instances would only slow each other down.
for port in "${ports[@]}"; do
  curl -sf "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt": "One copy of the weights", "max_tokens": 2}' >/dev/null
done

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
rollup() { awk -v f="$2:" '$1 == f { printf "%.0f\n", $2 * 1024 }' "/proc/$1/smaps_rollup"; }
# Sum of Pss over the mappings whose pathname (the 6th field of a mapping's header line) is the model.
file_pss() { awk -v f="$model" '/^[0-9a-f]+-[0-9a-f]+ / { m = ($6 == f) } m && $1 == "Pss:" { s += $2 } END { printf "%.0f\n", s * 1024 }' "/proc/$1/smaps"; }

echo "model: $model ($(stat -c %s "$model") bytes, $(mib "$(stat -c %s "$model")") MiB), $count instance(s)"
printf '%-10s %8s %12s %14s %14s %18s\n' instance pid "Pss MiB" "Pss_Anon MiB" "Pss_File MiB" "model-file Pss MiB"
total=(0 0 0 0)
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  row=("$(rollup "$pid" Pss)" "$(rollup "$pid" Pss_Anon)" "$(rollup "$pid" Pss_File)" "$(file_pss "$pid")")
  for k in 0 1 2 3; do total[$k]=$((total[k] + row[k])); done
  printf '%-10s %8s %12s %14s %14s %18s\n' "$((i + 1))" "$pid" "$(mib "${row[0]}")" "$(mib "${row[1]}")" "$(mib "${row[2]}")" "$(mib "${row[3]}")"
done
printf '%-10s %8s %12s %14s %14s %18s\n' total "" "$(mib "${total[0]}")" "$(mib "${total[1]}")" "$(mib "${total[2]}")" "$(mib "${total[3]}")"
