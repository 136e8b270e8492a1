# Sourced by the gpu-check scripts once $bin (the published sharpserve) and $summary are set: finds the tokenizer file
# create-model needs ($tokenizer: gzipped beside the binary, where the publish step puts it for the device machine, which
# gets no ../shared and carries at most 64 MiB; else the shared folder), or writes what is missing to the summary and exits 1.
tokenizer=""
if [ -f "$(dirname "$bin")/qwen3-tokenizer.json.gz" ]; then
  gunzip -c "$(dirname "$bin")/qwen3-tokenizer.json.gz" > "$out/qwen3-tokenizer.json"
fi
for candidate in "$out/qwen3-tokenizer.json" shared/models/qwen2-tokenizer/qwen3-tokenizer.json ../shared/models/qwen2-tokenizer/qwen3-tokenizer.json; do
  if [ -f "$candidate" ]; then tokenizer="$candidate"; break; fi
done
if [ ! -x "$bin" ] || [ -z "$tokenizer" ]; then
  echo "- missing: the published binary ($bin) or the tokenizer file ($(dirname "$bin")/qwen3-tokenizer.json.gz)" | tee -a "$summary"
  exit 1
fi
