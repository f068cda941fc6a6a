"""`tritorch plot RUN_DIR [RUN_DIR ...] [-o FILE.png]`: loss and metric curves against the step.

One panel per metric found in the runs' metrics.jsonl (train/loss, lr, val/loss, val/accuracy, ...),
one line per run. Needs matplotlib: `pip install 'tritorch[plot]'`.
"""
import os
import sys


def add_arguments(parser):
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories to draw (one line each)")
    parser.add_argument("-o", "--output", metavar="FILE.png",
                        help="the image (default: RUN_DIR/metrics.png for one run, FIRST_RUN_DIR/compare.png "
                             "for several)")
    parser.add_argument("--metrics", nargs="+", metavar="NAME",
                        help="only these metrics (e.g. train/loss val/accuracy); default: all")


def default_output(run_dirs):
    """Into the (first) run directory, never the current directory: metrics.png, or compare.png for several."""
    return os.path.join(run_dirs[0], "metrics.png" if len(run_dirs) == 1 else "compare.png")


def curves(run_dir):
    """{metric: ([steps], [values])} from RUN_DIR/metrics.jsonl."""
    from tritorch.train.metrics import MetricLog
    out = {}
    for row in MetricLog(run_dir).read():
        for key, value in row.items():
            if key not in ("step", "epoch", "time") and isinstance(value, (int, float)):
                xs, ys = out.setdefault(key, ([], []))
                xs.append(row["step"])
                ys.append(value)
    return out


def run(args):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("error: tritorch plot needs matplotlib, an optional extra: pip install 'tritorch[plot]' "
              "(or pip install matplotlib)", file=sys.stderr)
        return 1
    runs = {}
    for run_dir in args.run_dirs:
        if not os.path.exists(os.path.join(run_dir, "metrics.jsonl")):
            print(f"error: {run_dir} has no metrics.jsonl (not a tritorch run directory?)", file=sys.stderr)
            return 2
        runs[run_dir] = curves(run_dir)
    names = sorted({m for c in runs.values() for m in c}, key=lambda m: (not m.startswith("train"), m))
    if args.metrics:
        unknown = [m for m in args.metrics if m not in names]
        if unknown:
            print(f"error: no metric {', '.join(unknown)} in these runs; they have {', '.join(names)}", file=sys.stderr)
            return 2
        names = args.metrics
    if not names:
        print("error: the runs have logged no metrics yet", file=sys.stderr)
        return 2
    cols = min(len(names), 3)
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for i, (run_dir, c) in enumerate(runs.items()):  # one colour per run in every panel
            if name in c:
                ax.plot(*c[name], color=f"C{i % 10}", marker="." if len(c[name][0]) < 30 else None,
                        label=os.path.basename(run_dir.rstrip("/")))
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if name == "lr" or name.endswith("perplexity"):
            ax.set_yscale("log")
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    output = args.output or default_output(args.run_dirs)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    print(f"wrote {output}")
    return 0
