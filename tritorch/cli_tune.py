"""`tritorch tune`: run an autotuning sweep, or show, clear, export and import the autotune cache.

    tritorch tune configs/tune/matmul.yaml                    # on a GPU: check, time, cache the winners
    tritorch tune configs/tune/matmul.yaml --baseline scripts/torch_baseline.py   # ... next to PyTorch
    tritorch tune configs/tune/matmul.yaml --interpret        # no GPU: the interpret: section, checked only
    tritorch tune configs/tune/matmul.yaml budget.max_configs=20 --out runs/tune/mm --restart
    tritorch tune --show | --clear | --export FILE | --import FILE

A sweep interrupted (Ctrl-C, or its budget.max_seconds) resumes when the same command runs again.
Exit status: 0 done, 1 a kernel's default config failed its check (a kernel bug), 2 bad arguments or
sweep file, 130 interrupted.
"""
import os
import sys


def add_arguments(parser):
    parser.add_argument("sweep", nargs="?", help="a sweep YAML file (see configs/tune/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="sweep overrides, e.g. budget.max_configs=20")
    parser.add_argument("--interpret", action="store_true",
                        help="run under Triton's interpreter (no GPU): the sweep's interpret: section, no timing; "
                             "results go to a separate cache (CACHE_DIR/interpret/autotune.json), also for "
                             "--show/--clear/--export/--import")
    parser.add_argument("--out", help="report and journal folder (default: runs/tune/SWEEP[-interpret])")
    parser.add_argument("--restart", action="store_true", help="discard this sweep's earlier measurements")
    parser.add_argument("--baseline", metavar="FILE",
                        help="time this file's baseline(kernel, arrays, shape) too; scripts/torch_baseline.py is PyTorch")
    parser.add_argument("--no-isolate", action="store_true",
                        help="measure in this process: no per-candidate timeout or crash isolation")
    actions = parser.add_mutually_exclusive_group()
    actions.add_argument("--show", action="store_true", help="list the autotune cache")
    actions.add_argument("--clear", action="store_true", help="empty the autotune cache")
    actions.add_argument("--export", metavar="FILE", help="copy the autotune cache to FILE")
    actions.add_argument("--import", dest="import_", metavar="FILE", help="merge FILE into the autotune cache")


def _fail(message, code=2):
    print(f"tritorch tune: {message}", file=sys.stderr)
    return code


def run(args):
    cache_action = args.show or args.clear or args.export or args.import_
    if cache_action and args.sweep:
        return _fail("--show, --clear, --export and --import take no sweep file")
    if args.interpret:
        os.environ["TRITON_INTERPRET"] = "1"  # before triton decorates any kernel
        # interpreter results (checked, never timed) get their own cache, never the user's GPU one
        from tritorch.kernels import _cache
        saved = os.environ.get("TRITORCH_CACHE_DIR")
        os.environ["TRITORCH_CACHE_DIR"] = os.path.join(os.path.dirname(_cache.cache_path()), "interpret")
        try:
            return _command(args, cache_action)
        finally:
            if saved is None:
                del os.environ["TRITORCH_CACHE_DIR"]
            else:
                os.environ["TRITORCH_CACHE_DIR"] = saved
    return _command(args, cache_action)


def _command(args, cache_action):
    if cache_action:
        return _cache_command(args)
    if not args.sweep:
        return _fail("give a sweep file (e.g. configs/tune/matmul.yaml) or one of --show/--clear/--export/--import")
    return _sweep_command(args)


def _sweep_command(args):
    from tritorch.cuda import is_available, is_emulated
    from tritorch.train.errors import ConfigError
    from tritorch.tune import load_sweep, run_sweep
    from tritorch.tune.report import write_reports

    if not is_available():
        return _fail("no GPU is available (cuda-python or a driver is missing); "
                     "run with --interpret to check the sweep under Triton's interpreter")
    try:
        sweep = load_sweep(args.sweep, args.overrides, interpret=is_emulated())
    except ConfigError as e:
        return _fail(f"invalid sweep:\n{e}")
    out = args.out or os.path.join("runs", "tune", sweep.name + ("-interpret" if is_emulated() else ""))
    if args.baseline and not os.path.isfile(args.baseline):
        return _fail(f"--baseline {args.baseline}: no such file")
    result = run_sweep(sweep, out, isolate=not args.no_isolate, restart=args.restart, baseline=args.baseline)
    text, paths, note = write_reports(result, out)
    print(text)
    print("\nreports: " + ", ".join(paths.values()) + (f"  (no plot: {note})" if note else ""))
    broken = [s for s in result["summaries"] if s["default_status"] != "ok"]
    for s in broken:
        print(f"tritorch tune: the default config of {s['kernel']} {s['dtype']} {s['shape']} failed: "
              f"{s['default_status']} (see {paths['csv']})", file=sys.stderr)
    if result["stopped"] == "interrupted":
        return 130
    return 1 if broken else 0


def _cache_command(args):
    from tritorch.kernels import _cache
    from tritorch.tune.report import config_text

    path = _cache.cache_path()
    if args.clear:  # also (above all) when the file is unreadable
        try:
            count = len(_cache.entries(_cache.read_cache(path)))
        except (OSError, ValueError):
            count = 0
        if os.path.exists(path):
            os.unlink(path)
        print(f"cleared {path} ({count} entries)")
        return 0
    if args.import_:
        try:
            incoming = _cache.read_cache(args.import_)
        except (OSError, ValueError) as e:
            return _fail(f"cannot import: {e}", 1)
    try:
        if args.import_:
            with _cache.locked():  # merged with the file as it is now: a concurrent sweep's entries stay
                data = _cache.load_or_empty()
                count = _cache.merge(data, incoming)
                _cache.write_cache(data)
            print(f"imported {count} entries from {args.import_} into {path}")
            return 0
        data = _cache.load_or_empty()
    except (OSError, ValueError) as e:
        return _fail(f"{e}; `tritorch tune --clear` empties the cache", 1)
    rows = _cache.entries(data)
    if args.export:
        _cache.write_cache(data, args.export)
        print(f"exported {len(rows)} entries from {path} to {args.export}")
    else:
        print(f"{path}: {len(rows)} entries" + (" (run `tritorch tune SWEEP.yaml` to add some)" if not rows else ""))
        for tag, kernel, key, entry in rows:
            ms, default_ms = entry.get("ms"), entry.get("default_ms")
            timing = f"  {ms:.4f} ms (default {default_ms:.4f} ms)" if ms and default_ms else ""
            print(f"  {tag}  {kernel}  {key}  {config_text(entry.get('config'))}{timing}")
    return 0

