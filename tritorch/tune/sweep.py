"""Running a sweep: candidates, pruning, the correctness gate, timing, the journal and the winners.

For each kernel x dtype x shape (a *problem*):

1. candidates: the kernel's declared search space (or the product of the sweep's ``space`` values),
   minus configs whose shared-memory or register estimate does not fit the device, then (on a GPU)
   those whose compiled kernel does not (``compiled.py``: compiled, never launched; ``pruned``,
   with the reason), thinned evenly to ``budget.max_configs``;
2. each candidate, the kernel's default config and (timed, when given) a baseline are measured in
   the worker (``worker.measure``): outputs checked against the numpy twin first, a wrong one never
   chosen; then timed on a GPU. Under the interpreter nothing is timed;
3. the winner: the fastest correct config, the default included (so a tuned config is never slower
   than the default as measured); under the interpreter the first correct candidate. It goes to the
   autotune cache at once, so an interrupted sweep keeps every finished problem.

Every measurement is appended to ``OUT/measurements.jsonl`` as it completes (flushed): running the
same sweep again skips what that file already holds for this device (``restart=True`` starts over).
"""
import itertools
import json
import os
import sys
import time

from tritorch.cuda import get_device_properties, is_emulated
from tritorch.kernels import _cache

from .compiled import CompileWorker, misfit
from .library import TUNABLES
from .tunable import fits, resolve
from .worker import InProcess, Worker, WorkerLost

FAILED = ("out_of_resources", "compile_error", "error", "timeout", "crash")


def candidates(tunable, shape, dtype, space, properties, max_configs, compile_fit=None):
    """``(kept, pruned)``: configs to measure, and ``(config, reason)`` for those that cannot fit.

    ``compile_fit(config)`` -> a reason or None: the compiled kernel's real shared memory and registers
    (``compiled.CompileWorker``), asked for each config that the estimates keep, before thinning."""
    declared = tunable.space(shape, dtype)
    if space:
        keys = list(dict.fromkeys(k for c in declared for k in c))
        values = [space.get(k) or sorted({c[k] for c in declared if k in c}) for k in keys]
        declared = [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    unique = list({json.dumps(c, sort_keys=True): c for c in declared if c}.values())
    kept, pruned = [], []
    for config in unique:
        reason = fits(tunable.resources(config, shape, dtype), properties, config.get("num_warps", 4))
        if reason is None and compile_fit is not None:
            reason = compile_fit(config)
        (pruned.append((config, reason)) if reason else kept.append(config))
    if len(kept) > max_configs:  # an even spread over the space, its first and last included
        step = (len(kept) - 1) / max(max_configs - 1, 1)
        kept = [kept[round(i * step)] for i in range(max_configs)]
    return kept, pruned


class Journal:
    """The append-only record of measurements (JSON lines) that makes a sweep resumable."""

    def __init__(self, path, restart=False):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if restart and os.path.exists(path):
            os.unlink(path)
        self.done = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        record = json.loads(line)
                        self.done[self.ident(record)] = record
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a kill: measured again
        self.file = open(path, "a", encoding="utf-8")

    @staticmethod
    def ident(record):
        return (record["device"], record["kernel"], record["dtype"], json.dumps(record["shape"], sort_keys=True),
                record["role"], json.dumps(record["config"], sort_keys=True))

    def get(self, record):
        return self.done.get(self.ident(record))

    def add(self, record):
        self.done[self.ident(record)] = record
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self):
        self.file.close()


def _summary(tunable, shape, dtype, key, records, timed):
    """One line of the report: the winner and the baselines of a problem."""
    default = next(r for r in records if r["role"] == "default")
    baseline = next((r for r in records if r["role"] == "baseline" and r["status"] == "ok"), None)
    tried = [r for r in records if r["role"] in ("default", "candidate")]
    ok = [r for r in tried if r["status"] == "ok"]
    if timed:
        best = min((r for r in ok if r["ms"] is not None), key=lambda r: r["ms"], default=None)
    else:
        best = next((r for r in ok if r["role"] == "candidate"), ok[0] if ok else None)
    flops, nbytes = tunable.work(shape, dtype)
    count = {s: sum(r["status"] == s for r in records if r["role"] == "candidate") for s in ("ok", "wrong")}
    return {"kernel": tunable.name, "dtype": dtype, "shape": shape, "key": key,
            "best": best and best["config"], "best_ms": best and best["ms"], "best_is_default": best is default,
            "default": default["config"], "default_ms": default["ms"], "default_status": default["status"],
            "baseline_ms": baseline and baseline["ms"], "flops": flops, "bytes": nbytes,
            "candidates": sum(r["role"] == "candidate" for r in records), "ok": count["ok"], "wrong": count["wrong"],
            "failed": sum(r["status"] in FAILED for r in records if r["role"] == "candidate"),
            "pruned": sum(r["role"] == "pruned" for r in records)}


def _compile_fit(compiler, tunable, shape, dtype, properties):
    """``config -> reason or None`` from the compiled kernels (for the device's capability; sm_90 emulated)."""
    capability = tuple(properties["capability"]) if tuple(properties["capability"]) > (0, 0) else (9, 0)
    limit = properties["shared_memory_per_block_optin"]
    return lambda config: misfit(compiler.records(tunable.name, shape, dtype, config, capability), capability, limit)


def run_sweep(sweep, out_dir, *, isolate=True, restart=False, baseline=None, echo=None, worker=None,
              compile_check=None):
    """Run ``sweep`` (a ``spec.Sweep``); returns ``{"summaries", "records", "stopped", "journal"}``.

    ``baseline``: a Python file whose ``baseline(kernel, arrays, shape)`` gives a callable to time next to
    the kernel when timing (``scripts/torch_baseline.py``: PyTorch; tritorch never imports it itself).
    ``stopped`` is None when every problem finished, else "interrupted" (Ctrl-C) or "max_seconds".
    ``isolate=False`` measures in this process (no timeout, no crash isolation). ``worker``: the
    measuring object to use instead (``Worker``'s interface; tests pass one with their own clock).
    ``compile_check``: prune candidates by compiling them first (``compiled.CompileWorker``: real shared
    memory and registers, no launch), so that a config that cannot fit is never timed or cached.
    Default: on a real GPU (where candidates are timed); an object with ``CompileWorker.records`` may
    be passed.
    """
    echo = echo or (lambda text: print(text, file=sys.stderr, flush=True))
    properties, tag, timed = get_device_properties(), _cache.device_tag(), not is_emulated()
    journal = Journal(os.path.join(out_dir, "measurements.jsonl"), restart)
    worker = worker or (Worker() if isolate else InProcess())
    compile_check = timed if compile_check is None else compile_check
    compiler = (CompileWorker() if compile_check is True else compile_check) if compile_check else None
    limit = sweep.budget["max_seconds"]
    deadline = None if limit is None else time.monotonic() + limit
    summaries, records, stopped = [], [], None
    problems = [(k, resolve(k, TUNABLES), d, s) for k in sweep.kernels for d in sweep.dtypes for s in sweep.shapes]
    echo(f"tune {sweep.name}: {len(problems)} problems on {tag}{'' if timed else ' (interpreter: checked, not timed)'}")
    try:
        for n, (name, tunable, dtype, shape) in enumerate(problems, 1):
            shape = tunable.full_shape(shape)
            key = tunable.key(shape, dtype)
            fit = compiler and _compile_fit(compiler, tunable, shape, dtype, properties)
            kept, pruned = candidates(tunable, shape, dtype, sweep.space, properties, sweep.budget["max_configs"], fit)
            default = tunable.default(shape, dtype)
            kept = [c for c in kept if c != default]
            base = {"device": tag, "kernel": tunable.name, "key": key, "dtype": dtype, "shape": shape}
            done = [dict(base, role="pruned", config=c, status="pruned", ms=None, error=None, detail=why)
                    for c, why in pruned]
            tasks = [("default", default)] + [("candidate", c) for c in kept] + \
                ([("baseline", None)] if timed and baseline else [])
            label = f"[{n}/{len(problems)}] {tunable.name} {dtype} " + " ".join(f"{k}={v}" for k, v in shape.items())
            echo(f"{label}: {len(kept)} candidates + default, {len(pruned)} pruned")
            for role, config in tasks:
                record = dict(base, role=role, config=config)
                previous = journal.get(record)
                if previous is None:
                    if deadline is not None and time.monotonic() > deadline:
                        stopped = "max_seconds"
                        break
                    task = {"tunable": name, "shape": shape, "dtype": dtype, "config": config, "time": timed,
                            "baseline": baseline and os.path.abspath(baseline), **sweep.measure}
                    try:
                        result = worker.run(task, sweep.budget["timeout"])
                    except WorkerLost as lost:
                        result = {"status": lost.status, "ms": None, "error": None, "detail": lost.detail}
                    previous = dict(record, **result)
                    journal.add(previous)
                    if result["status"] not in ("ok", "skipped"):
                        echo(f"    {result['status']}: {config} {result['detail']}")
                done.append(previous)
            if stopped:
                break
            records += done
            summary = _summary(tunable, shape, dtype, key, done, timed)
            summaries.append(summary)
            if summary["best"] is not None:
                _cache.store(tunable.name, key, summary["best"], ms=summary["best_ms"], default_ms=summary["default_ms"])
            echo(f"    best {summary['best']}" + (f" {summary['best_ms']:.4f} ms (default {summary['default_ms']:.4f} ms)"
                                                    if summary["best_ms"] and summary["default_ms"] else ""))
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        worker.close(kill=stopped == "interrupted")
        if isinstance(compiler, CompileWorker):
            compiler.close()
        journal.close()
    if stopped:
        echo(f"stopped ({stopped}): {len(summaries)} of {len(problems)} problems done; "
             f"the same command resumes from {journal.path}")
    return {"summaries": summaries, "records": records, "stopped": stopped, "journal": journal.path}
