"""Bytes a single-sequence decode step reads from an HF model folder's safetensors: every tensor once, except that the
token embedding contributes one row (not its whole table) when lm_head is a separate tensor. Prints one integer.
Usage: decode_bytes.py MODEL_DIR
"""
import glob
import json
import os
import struct
import sys

folder = sys.argv[1]
sizes = {}
for path in glob.glob(os.path.join(folder, "*.safetensors")):
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    for name, entry in header.items():
        if name != "__metadata__":
            begin, end = entry["data_offsets"]
            sizes[name] = end - begin

total = sum(sizes.values())
if "lm_head.weight" in sizes and "model.embed_tokens.weight" in sizes:
    table = sizes["model.embed_tokens.weight"]
    rows = json.load(open(os.path.join(folder, "config.json")))["vocab_size"]
    total -= table - table // rows
print(total)
