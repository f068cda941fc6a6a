"""The compile gate: tritorch's kernels compiled for Hopper (sm_90) with the installed Triton, no GPU.

``scripts/compile_check.py --fast`` drives the real launchers on emulated memory and compiles every
kernel they launch (defaults, one representative shape per kernel and dtype; here without float16,
which shares bfloat16's code) for sm_90: a default
that fails to compile, needs more shared memory or registers than an H100 has, or spills registers
in a hot kernel fails this test. Compiles are cached (``~/.cache/tritorch/compile``, or
``$TRITORCH_CACHE_DIR/compile``), so only changed kernels cost time (a cold run: about 40 cases,
a few minutes on 2 cores). The whole sweep (sm_80 too,
every shape class, ``--space``) is the pre-release command in docs/gpu.md.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "compile_check.py")


def compile_check(*args):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}  # real kernels, not interpreted
    return subprocess.run([sys.executable, SCRIPT, "--quiet", "--jobs", "2", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)


def test_every_default_compiles_and_fits_on_sm90():
    # float16 shares bfloat16's code paths: left to the pre-release sweep, to keep CI's compile short
    run = compile_check("--fast", "--dtype", "bfloat16", "--dtype", "float32", "--dtype", "float64",
                        "--dtype", "int64")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert " 0 default-config failures" in run.stdout


def test_the_gate_fails_on_an_oversized_config():
    # 4 stages of 128x128 A and B tiles at K=128 in bf16: 262,144 B of shared memory > 232,448 on sm_90
    oversized = '{"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 128, "GROUP_M": 8, "num_warps": 8, "num_stages": 4}'
    run = compile_check("--fast", "--only", "matmul", "--dtype", "bfloat16", "--config", oversized)
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-4000:]
    assert "FAIL shared memory" in run.stdout and "> 232448 B" in run.stdout
    assert " 1 default-config failures" in run.stdout
