"""Compile every tritorch kernel for Hopper (sm_90) and Ampere (sm_80) on a machine without a GPU.

The real launchers run on emulated memory and every launch becomes a compile for the target
(``tritorch/tune/compiled.py``), so each kernel is specialised exactly as on the GPU. For each case
(kernel family, dtype, shape class, config: the defaults its launchers pick, and with ``--space``
every config of the autotuning search spaces) it reports per compiled kernel: status, shared memory,
registers, spill stores. Exit status 1 when a DEFAULT config fails to compile, needs more shared
memory or registers than the target has, or spills registers in a hot kernel (matmul, attention,
norms, softmax, cross-entropy); search-space configs that do not fit are listed (the tuner prunes
them by the same compile) but do not fail the check.

    python scripts/compile_check.py --fast            # CI: defaults, one shape per kernel and dtype, sm_90
    python scripts/compile_check.py                   # pre-release: all default cases, sm_90 and sm_80
    python scripts/compile_check.py --space           # ... plus every search-space config
    python scripts/compile_check.py --json out.json --jobs 8 --arch 90

Compiles run in ``--jobs`` processes (default: the CPU count) and are cached in ``--cache``
(default ``~/.cache/tritorch/compile``): Triton's cache is keyed by kernel source, specialisation,
options and Triton version, and ptxas's report is kept next to it, so a repeat run only re-runs the
launchers. Never under ``TRITON_INTERPRET=1`` (the script clears it for its workers).

Triton 3.6.0 (the version on the lent GPU machines) in a separate venv, next to the newest here:

    python -m venv /tmp/venv-triton36
    /tmp/venv-triton36/bin/pip install triton==3.6.0 "numpy<2.4" pyyaml safetensors ml-dtypes
    PYTHONPATH=$PWD /tmp/venv-triton36/bin/python scripts/compile_check.py
"""
import argparse
import concurrent.futures
import json
import multiprocessing
import os
import sys
import time

HOT = ("_matmul_fwd", "_attn_fwd", "_attn_bwd_dkdv", "_attn_bwd_dq", "_norm_fwd", "_norm_bwd", "_norm_bwd_stats",
       "_softmax_fwd", "_softmax_fwd_looped", "_softmax_bwd", "_ce_fwd", "_ce_bwd")
FLOATS = ("float32", "float16", "bfloat16")
ARCHS = {"90": (9, 0), "80": (8, 0)}


# -- the cases -------------------------------------------------------------------------------------
def tunable_cases(fast, space):
    """``(family, dtype, shape, role, config)`` of the tuned kernels: defaults for each shape class, and
    every search-space config with ``space``."""
    shapes = {
        "matmul": [dict(M=4096, N=4096, K=4096), dict(M=4096, N=11008, K=4096), dict(M=64, N=64, K=64)],
        "attention": [dict(batch=2, heads=8, seq_q=1024, seq_k=1024, head_dim=d, causal=c)
                      for d in (64, 128, 256) for c in (0, 1)],
        "softmax": [dict(rows=64, cols=c) for c in (1024, 32768, 131072)],
        "layer_norm": [dict(rows=256, cols=c) for c in (768, 4096, 16384)],
        "cross_entropy": [dict(rows=64, classes=c) for c in (32000, 128256)],
    }
    shapes["attention_backward"] = shapes["attention"]
    shapes["softmax_backward"] = shapes["softmax"]
    for name in ("layer_norm_backward", "rms_norm", "rms_norm_backward"):
        shapes[name] = shapes["layer_norm"]
    if fast:
        shapes = {k: v[:1] if k != "attention" and k != "attention_backward" else [v[2]] for k, v in shapes.items()}
    from tritorch.tune.library import TUNABLES
    cases = []
    for name, shape_list in shapes.items():
        tunable = TUNABLES[name]
        for dtype in FLOATS:
            for shape in shape_list:
                shape = tunable.full_shape(shape)
                default = tunable.default(shape, dtype)
                cases.append((name, dtype, shape, "default", "default"))  # resolved per target by the worker
                if space:
                    cases += [(name, dtype, shape, "space", c) for c in tunable.space(shape, dtype) if c != default]
    return cases


# Launcher calls that are not Tunables: (family, dtype, shape label) -> a function of the arrays module.
def launcher_cases(fast):
    cases = []
    for dtype in ("float32", "float64", "float16", "bfloat16", "int64"):
        for op in ("cumsum", "cumprod"):
            cases.append(("scan", dtype, dict(op=op, rows=64, cols=1024), "default", None))
        cases.append(("reduce", dtype, dict(op="sum", rows=64, cols=4096), "default", None))
    for dtype in ("float32", "float16", "bfloat16", "float64"):
        cases.append(("two_pass", dtype, dict(op="var", rows=64, cols=4096), "default", None))
        cases.append(("elementwise", dtype, dict(op="mul", n=1 << 20), "default", None))
        cases.append(("adam", dtype, dict(n=1 << 20), "default", None))
    for dtype in ("float32", "int64"):
        cases.append(("argsort", dtype, dict(rows=16, cols=4096), "default", None))
    for dtype in FLOATS:
        for mask in ("bool", "float"):
            for d in ((128,) if fast else (64, 128, 256)):
                shape = dict(batch=2, heads=8, seq_q=1024, seq_k=1024, head_dim=d, mask=mask)
                cases.append(("attention_masked", dtype, shape, "default", None))
        cases.append(("matmul_epilogue", dtype, dict(M=4096, N=4096, K=4096), "default", None))
    return cases


def _run_launcher(family, dtype, shape):
    import importlib
    import numpy as np
    from tritorch.cuda import empty
    k = lambda name: importlib.import_module(f"tritorch.kernels.{name}")  # noqa: E731
    dt = np.dtype(dtype) if dtype != "bfloat16" else __import__("ml_dtypes").bfloat16
    if family == "scan":
        return k("reduce").scan(shape["op"], empty((shape["rows"], shape["cols"]), dt), 1)
    if family == "reduce":
        return k("reduce").reduce(shape["op"], empty((shape["rows"], shape["cols"]), dt), (1,), dt)
    if family == "two_pass":
        return k("reduce").two_pass(shape["op"], empty((shape["rows"], shape["cols"]), dt), (1,))
    if family == "elementwise":
        x = empty((shape["n"],), dt)
        return k("elementwise").elementwise(shape["op"], [x, x])
    if family == "adam":
        p = empty((shape["n"],), dt)
        return k("optimizers").adam(p, p, p, p, None, 1, 1e-3, 0.9, 0.999, 1e-8, 0.01, False, False, True)
    if family == "argsort":
        return k("sort").argsort(empty((shape["rows"], shape["cols"]), dt), 1)
    if family == "attention_masked":
        B, H, L, D = shape["batch"], shape["heads"], shape["seq_q"], shape["head_dim"]
        q = empty((B, H, L, D), dt)
        mask = empty((1, 1, L, L), np.bool_ if shape["mask"] == "bool" else dt)
        out, lse = k("attention").attention(q, q, q, mask=mask, return_lse=True)
        return k("attention").attention_backward(q, q, q, q, out, lse, mask=mask)
    if family == "matmul_epilogue":
        a = empty((shape["M"], shape["K"]), dt)
        c = empty((shape["M"], shape["N"]), dt)
        bias = empty((shape["N"],), dt)
        out, z = k("matmul").matmul(a, a, bias=bias, residual=c, activation="gelu", return_preactivation=True)
        return k("matmul").matmul_backward(out, a, a, z, activation="gelu", has_bias=True)
    raise KeyError(family)


# -- workers ---------------------------------------------------------------------------------------
def _init(cache):
    os.environ.pop("TRITON_INTERPRET", None)  # before tritorch is imported: real JITFunctions
    from tritorch.tune import compiled
    compiled.setup(cache)


def _compile(case, capability):
    from tritorch.tune import compiled
    family, dtype, shape, role, config = case
    if config == "default":  # the tunable's default for this target (defaults may depend on the GPU)
        from tritorch.tune.library import TUNABLES
        with compiled.target(capability):
            config = TUNABLES[family].default(TUNABLES[family].full_shape(shape), dtype)
    if config is not None:
        records = compiled.compile_tunable(family, shape, dtype, config, capability)
    else:
        records, error = compiled.run_case(lambda: _run_launcher(family, dtype, shape), capability)
        if error:
            records.append(dict(kernel=family, status="error", shared=None, registers=None, spills=None,
                                num_warps=0, num_stages=0, hash=None, error=error))
    for r in records:
        r["resolved"] = config
    return records


def verdict(case, record, capability):
    """What fails the check in one compiled kernel of a case: a list of strings (defaults only)."""
    from tritorch.tune.compiled import problems
    found = problems(record, capability)
    if record["status"] == "ok" and record["kernel"] in HOT and record["spills"]:
        found.append(f"{record['spills']} B of spill stores per thread")
    return found


def _config_text(config):
    if not config:
        return "default"
    short = {"num_warps": "w", "num_stages": "s", "ROWS_PER_PROGRAM": "R", "GROUP_M": "G"}
    return " ".join(f"{short.get(k, k.replace('BLOCK_', ''))}{v}" for k, v in config.items())


def _shape_text(shape):
    return " ".join(f"{k}={v}" for k, v in shape.items())


def summary(rows, triton_version):
    """A markdown table per target: for each family, default-config kernels compiled, the largest
    shared memory and register count among them, defaults that spill, and failures."""
    out = []
    for arch in sorted({r["arch"] for r in rows}, reverse=True):
        out += [f"\n**{arch}, Triton {triton_version}**\n",
                "| family | dtypes | default kernels | max shared (B) | max regs | spilling | failures | no-fit (space) |",
                "|---|---|---|---|---|---|---|---|"]
        for family in sorted({r["family"] for r in rows if r["arch"] == arch}):
            mine = [r for r in rows if r["arch"] == arch and r["family"] == family]
            ok = [r for r in mine if r["role"] == "default" and r["status"] == "ok"]
            spilling = sum(1 for r in ok if r["spills"])
            failures = sum(1 for r in mine if r["role"] == "default" and r["problems"])
            no_fit = sum(1 for r in mine if r["role"] == "space" and r["problems"])
            out.append(f"| {family} | {', '.join(sorted({r['dtype'] for r in mine}))} | {len(ok)} | "
                       f"{max((r['shared'] for r in ok), default=0):,} | "
                       f"{max((r['registers'] or 0 for r in ok), default=0)} | {spilling} | {failures} | {no_fit} |")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="defaults, one shape per kernel and dtype (CI)")
    parser.add_argument("--space", action="store_true", help="also every search-space config")
    parser.add_argument("--arch", action="append", choices=sorted(ARCHS), help="90 and/or 80 (default: both; --fast: 90)")
    parser.add_argument("--only", action="append", default=[], help="only these families (repeatable)")
    parser.add_argument("--dtype", action="append", default=[], help="only these dtypes (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", default=None, help="cache directory (default ~/.cache/tritorch/compile)")
    parser.add_argument("--json", default=None, help="also write every record to this file")
    parser.add_argument("--config", default=None, help="JSON config forced on the --only tunable (tests)")
    parser.add_argument("--quiet", action="store_true", help="print failures and the summary only")
    parser.add_argument("--summarize", default=None, help="print the markdown summary of a --json file and exit")
    args = parser.parse_args(argv)
    if args.summarize:
        with open(args.summarize) as f:
            data = json.load(f)
        print(summary(data["rows"], data["triton"]))
        return 0
    os.environ.pop("TRITON_INTERPRET", None)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cache = args.cache or __import__("tritorch.tune.compiled", fromlist=["x"]).default_cache_dir()
    archs = [ARCHS[a] for a in (args.arch or (["90"] if args.fast else ["90", "80"]))]
    _init(cache)  # the parent builds the case list with the same (compile-only) imports
    cases = tunable_cases(args.fast, args.space) + launcher_cases(args.fast)
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    if args.dtype:
        cases = [c for c in cases if c[1] in args.dtype]
    if args.config:
        cases = [(c[0], c[1], c[2], "default", json.loads(args.config)) for c in cases if c[3] == "default"]
    tasks = [(case, cap) for cap in archs for case in cases]
    import triton
    print(f"compile check: {len(tasks)} cases, triton {triton.__version__}, "
          f"targets {', '.join(f'sm_{a}{b}' for a, b in archs)}, {args.jobs} jobs, cache {cache}", flush=True)
    start = time.monotonic()
    results = []
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context, initializer=_init,
                                                initargs=(cache,)) as pool:
        futures = {pool.submit(_compile, case, cap): (case, cap) for case, cap in tasks}
        for future in concurrent.futures.as_completed(futures):
            case, cap = futures[future]
            try:
                records = future.result()
            except Exception as e:  # a worker that died: the case failed
                records = [dict(kernel=case[0], status="crash", shared=None, registers=None, spills=None,
                                num_warps=0, num_stages=0, hash=None, error=f"{type(e).__name__}: {e}")]
            results.append((case, cap, records))
            if len(results) % 20 == 0:
                print(f"  {len(results)}/{len(tasks)} cases, {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    failures, rows, seen = [], [], set()
    for case, cap, records in sorted(results, key=lambda r: (r[1], r[0][0], r[0][1], json.dumps(r[0][2]), r[0][3])):
        family, dtype, shape, role, config = case
        for r in records:
            found = verdict(case, r, cap)
            ident = (cap, r["hash"] or r["error"], role)
            if ident in seen and not found:
                continue
            seen.add(ident)
            r = dict(r)
            row = dict(arch=f"sm_{cap[0]}{cap[1]}", family=family, dtype=dtype, shape=shape, role=role,
                       config=r.pop("resolved", config), **r, problems=found)
            rows.append(row)
            if found and role == "default":
                failures.append(row)
    for row in rows:
        if args.quiet and not (row["problems"] and row["role"] == "default"):
            continue
        flag = ("FAIL " if row["role"] == "default" else "no-fit ") if row["problems"] else ""
        print(f"{row['arch']} {row['family']:<19} {row['dtype']:<8} {_shape_text(row['shape']):<58} "
              f"{row['role']:<7} {_config_text(row['config']):<28} {row['kernel']:<18} "
              f"smem {row['shared'] if row['shared'] is not None else '-':>6} regs {row['registers'] or '-':>3} "
              f"spill {row['spills'] if row['spills'] is not None else '-':>5} {flag}{'; '.join(row['problems'])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"triton": triton.__version__, "date": time.strftime("%Y-%m-%d"), "rows": rows}, f, indent=1)
    compiled_ok = sum(r["status"] == "ok" for r in rows)
    print(f"\n{len(rows)} kernels ({compiled_ok} compiled) in {time.monotonic() - start:.0f} s; "
          f"{len(failures)} default-config failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
