"""SharpServe's logits (JSON lines, one array per prompt position) against PyTorch's Qwen2ForCausalLM on the same HF files.

PyTorch runs in f32 on the widened bf16 weights, as SharpServe does, so the two differ only by summation order and the
GPU's exp/cos approximations; prints one summary line and exits 1 when the difference is above 1e-3 of the largest logit
or fewer than 95 % of the positions agree on the argmax.
Usage: compare_logits.py MODEL_DIR IDS(comma-separated) SHARPSERVE_JSONL
"""
import json
import sys

import torch
from transformers import Qwen2ForCausalLM

model_dir, ids_text, ours_path = sys.argv[1:4]
ids = [int(i) for i in ids_text.split(",")]
device = "cuda" if torch.cuda.is_available() else "cpu"
model = Qwen2ForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).to(device).eval()
with torch.no_grad():
    reference = model(torch.tensor([ids], device=device)).logits[0].double().cpu()
with open(ours_path, encoding="utf-8") as lines:
    ours = torch.tensor([json.loads(line) for line in lines], dtype=torch.float64)

scale = reference.abs().max().item()
error = (ours - reference).abs().max().item()
agreement = (ours.argmax(-1) == reference.argmax(-1)).double().mean().item()
print(f"- {model_dir}: max |SharpServe - PyTorch| {error:.3e} = {error / scale:.2e} of the largest logit ({scale:.3f}); "
      f"argmax agreement {agreement * 100:.0f} % over {len(ids)} positions (PyTorch {torch.__version__} on {device})")
sys.exit(0 if error <= 1e-3 * scale and agreement >= 0.95 else 1)
