"""What a sweep found: a table per kernel, every measurement as CSV and JSON, and a throughput plot.

Table columns: shape, dtype, the winning config, its time, its throughput (TFLOP/s for matmul and
attention, GB/s for the memory-bound kernels), the gain over the default config (default time / tuned
time) and over the baseline (``--baseline scripts/torch_baseline.py``: PyTorch; its time / tuned
time), and how many candidates
were correct, wrong, failed or pruned. Under the interpreter nothing is timed: the table says which
config won the correctness gate and the time columns read "-".
"""
import csv
import json
import os

SHORT = {"GROUP_M": "G", "num_warps": "w", "num_stages": "s", "ROWS_PER_PROGRAM": "R"}
CSV_FIELDS = ("device", "kernel", "key", "dtype", "shape", "role", "config", "status", "ms", "error", "detail")


def config_text(config):
    """``{"BLOCK_M": 128, "num_warps": 8}`` -> ``"BM128 w8"``."""
    if not config:
        return "-"
    return " ".join(f"{SHORT.get(k, k.replace('BLOCK_', 'B'))}{v}" for k, v in config.items())


def shape_text(shape):
    return " ".join(f"{k}={v}" for k, v in shape.items())


def throughput(summary, ms):
    """``"312.4 TFLOP/s"`` or ``"1843 GB/s"`` for a time in ms, or "-"."""
    if not ms:
        return "-"
    value, unit = (summary["flops"] / ms / 1e9, "TFLOP/s") if summary["flops"] else (summary["bytes"] / ms / 1e6, "GB/s")
    return f"{value:.1f} {unit}" if value >= 10 else f"{value:.3g} {unit}"


def _ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}x" if numerator and denominator else "-"


def format_tables(summaries):
    """One aligned text table per kernel (a string)."""
    header = ("shape", "dtype", "best config", "ms", "throughput", "vs default", "vs baseline", "ok/wrong/failed/pruned")
    out = []
    for kernel in dict.fromkeys(s["kernel"] for s in summaries):
        rows = [header]
        for s in (s for s in summaries if s["kernel"] == kernel):
            best = config_text(s["best"]) + (" (default)" if s["best_is_default"] else "") if s["best"] else \
                "none correct"
            rows.append((shape_text(s["shape"]), s["dtype"], best, f"{s['best_ms']:.4f}" if s["best_ms"] else "-",
                         throughput(s, s["best_ms"]), _ratio(s["default_ms"], s["best_ms"]),
                         _ratio(s["baseline_ms"], s["best_ms"]), f"{s['ok']}/{s['wrong']}/{s['failed']}/{s['pruned']}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        out.append(f"{kernel}\n" + "\n".join(lines))
    return "\n\n".join(out)


def write_csv(records, path):
    """Every measurement (candidates, defaults, PyTorch, pruned configs), one row each."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CSV_FIELDS)
        writer.writeheader()
        for r in records:
            writer.writerow({k: json.dumps(r[k], sort_keys=True) if isinstance(r.get(k), dict) else r.get(k)
                             for k in CSV_FIELDS})


def write_json(result, path):
    """``{"summaries": [...], "records": [...], "stopped": ...}``."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({k: result[k] for k in ("summaries", "records", "stopped")}, f, indent=1)


def plot(summaries, path):
    """Throughput vs shape for default, tuned and the baseline, one panel per kernel and dtype, to a PNG.
    Returns ``path``, or None (with the reason) when matplotlib is missing or nothing was timed."""
    timed = [s for s in summaries if s["best_ms"]]
    if not timed:
        return None, "nothing was timed (interpreter)"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None, "matplotlib is not installed (pip install 'tritorch[plot]')"
    panels = list(dict.fromkeys((s["kernel"], s["dtype"]) for s in timed))
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.2 * len(panels)), squeeze=False)
    for ax, (kernel, dtype) in zip(axes[:, 0], panels):
        rows = [s for s in timed if (s["kernel"], s["dtype"]) == (kernel, dtype)]
        unit = 1e9 if rows[0]["flops"] else 1e6
        work = [s["flops"] or s["bytes"] for s in rows]
        x = range(len(rows))
        for label, field, marker in (("default", "default_ms", "o"), ("tuned", "best_ms", "s"), ("baseline", "baseline_ms", "^")):
            ys = [w / s[field] / unit if s[field] else float("nan") for w, s in zip(work, rows)]
            ax.plot(x, ys, marker=marker, label=label)
        ax.set_xticks(list(x))
        ax.set_xticklabels([shape_text(s["shape"]) for s in rows], rotation=20, fontsize=7, ha="right")
        ax.set_ylabel("TFLOP/s" if rows[0]["flops"] else "GB/s")
        ax.set_title(f"{kernel} {dtype}")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path, None


def write_reports(result, out_dir):
    """tables.txt, measurements.csv, sweep.json and (when timed, with matplotlib) throughput.png in
    ``out_dir``; returns ``(tables text, {name: path}, note)``."""
    os.makedirs(out_dir, exist_ok=True)
    text = format_tables(result["summaries"])
    paths = {"tables": os.path.join(out_dir, "tables.txt"), "csv": os.path.join(out_dir, "measurements.csv"),
             "json": os.path.join(out_dir, "sweep.json")}
    with open(paths["tables"], "w", encoding="utf-8") as f:
        f.write(text + "\n")
    write_csv(result["records"], paths["csv"])
    write_json(result, paths["json"])
    png, note = plot(result["summaries"], os.path.join(out_dir, "throughput.png"))
    if png:
        paths["plot"] = png
    return text, paths, note
