#!/usr/bin/env bash
# Everything a lent GPU should run, one stage per call (each fits the device tool's 10-minute limit).
#
#   bash scripts/gpu_session.sh tests      # the kernel and cuda-backend tests compiled for real (TRITORCH_REAL_GPU=1)
#   bash scripts/gpu_session.sh bench      # kernel, fused-kernel and training-step benchmarks vs PyTorch
#   bash scripts/gpu_session.sh tune       # the matmul sweep (issue 9's target) and the attention sweep
#
# Logs, tables and sweep reports go to $OUT (default ./gpu-out); the last lines printed are the tables.
# The device machine has no network: the tree is installed without dependencies.
set -uo pipefail
stage="${1:?usage: gpu_session.sh tests|bench|tune}"
out="${OUT:-gpu-out}"
mkdir -p "$out"
pip install -q --no-deps --no-build-isolation -e . >"$out/pip.log" 2>&1 || { tail "$out/pip.log"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
python -c "import triton, sys; print('triton', triton.__version__, 'python', sys.version.split()[0])" >>"$out/gpu.txt"
export TRITORCH_CACHE_DIR="$out/cache"

case "$stage" in
  tests)
    TRITORCH_REAL_GPU=1 timeout 540 python -m pytest -q -x tests/kernels tests/cuda tests/dispatch tests/amp \
      >"$out/tests.log" 2>&1
    echo "pytest exit $?"; tail -15 "$out/tests.log" ;;
  bench)
    timeout 200 python scripts/bench_kernels.py >"$out/bench_kernels.txt" 2>&1
    timeout 200 python scripts/bench_kernels_fused.py >"$out/bench_fused.txt" 2>&1
    timeout 180 python scripts/bench_train.py >"$out/bench_train.txt" 2>&1
    cat "$out/gpu.txt"; tail -n 25 "$out/bench_kernels.txt" "$out/bench_fused.txt" "$out/bench_train.txt" ;;
  tune)
    timeout 400 python -m tritorch tune configs/tune/matmul.yaml budget.max_seconds=360 --out "$out/tune-matmul" \
      --baseline scripts/torch_baseline.py \
      >"$out/tune-matmul.log" 2>&1
    timeout 170 python -m tritorch tune configs/tune/attention.yaml budget.max_seconds=140 budget.max_configs=12 \
      --baseline scripts/torch_baseline.py --out "$out/tune-attention" >"$out/tune-attention.log" 2>&1
    cat "$out/gpu.txt"; tail -n 30 "$out/tune-matmul.log" "$out/tune-attention.log" ;;
  *) echo "unknown stage $stage (tests|bench|tune)"; exit 2 ;;
esac
