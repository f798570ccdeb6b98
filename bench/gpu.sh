#!/usr/bin/env bash
# One prepared GPU check (< 5 minutes on one GPU), run from the repository root:
#   1. the properties on cuda under the ci profile,
#   2. the benchmarks on cuda (ratios, achieved GB/s and TFLOP/s against the device's peak),
#   3. everything written under $OUT if set, else bench/results/gpu/.
# Each step has its own time limit, so a slow step cannot starve the next one.
set -u
cd "$(dirname "$0")/.."
DEST="${OUT:-bench/results/gpu}"
PY="${PYTHON:-python}"
mkdir -p "$DEST"

{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv || true
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
  torch.cuda.get_device_name() if torch.cuda.is_available() else "NO CUDA DEVICE")'
} >"$DEST/device.txt" 2>&1
cat "$DEST/device.txt"

# xdist workers share the GPU; each one initialises its own CUDA context.
WORKERS=$("$PY" -c 'import os; print(min(8, len(os.sched_getaffinity(0))))')
timeout 170 "$PY" -m pytest properties --sgd-devices cuda --hypothesis-profile ci -q \
  -p no:cacheprovider -n "$WORKERS" --durations=10 >"$DEST/properties.txt" 2>&1
echo "properties exit code $? (124 = timed out)" | tee -a "$DEST/properties.txt"
tail -n 15 "$DEST/properties.txt"

# --quick: the CPU-side anchors (scipy loops, lfilter) would otherwise dominate the budget;
# the GPU sizes stay large (scan T = 2^20 x 64 float64, grad2 B = 4096, I = J = 8192).
timeout 110 "$PY" -m bench.run --device cuda --quick --out "$DEST" >"$DEST/bench.log" 2>&1
echo "bench exit code $? (124 = timed out)" | tee -a "$DEST/bench.log"
cat "$DEST/results.md" 2>/dev/null || tail -n 30 "$DEST/bench.log"
