"""The card's achievable memory bandwidth, measured: a 1 GiB device-to-device copy (read + write), median of 20 after 3
warm-ups, with PyTorch. Prints one number, GB/s (10^9 bytes per second). Decode of one sequence reads every weight once
per token, so bandwidth / bytes-per-token is its ceiling (decode_bytes.py gives the bytes).
"""
import statistics

import torch

source = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
target = torch.empty_like(source)
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
times = []
for run in range(23):
    start.record()
    target.copy_(source)
    end.record()
    torch.cuda.synchronize()
    if run >= 3:
        times.append(start.elapsed_time(end) / 1000)
print(f"{2 * source.numel() / statistics.median(times) / 1e9:.0f}")
