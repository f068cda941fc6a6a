"""Metrics over an evaluation pass, and the run's metric log (metrics.jsonl + metrics.csv).

    tracker = Metrics(["loss", "accuracy", "top5", "perplexity"])
    tracker.update(logits, target, loss)        # logits float [N, C], target int64 [N], loss: batch mean
    tracker.compute()                           # {'loss': ..., 'accuracy': ..., 'top5': ..., 'perplexity': ...}

Sequence outputs ([B, T, C] logits with [B, T] targets) are flattened to [B*T, C] first (`align`).
Targets equal to -100 (CrossEntropyLoss's ignore_index) count for nothing. Accuracy and top-k
exist only for class-id targets (int64 [N] against [N, C] logits); regression gets loss only.
"""
import csv
import json
import math
import os
import warnings

import numpy as np

from .rundir import named

HIGHER_IS_BETTER = ("accuracy", "top")


def align(output, target):
    """[B, T, C] logits and [B, T] targets -> [B*T, C] and [B*T]; anything else unchanged."""
    if output.dim() > 2 and target.dim() == output.dim() - 1 and target.shape == output.shape[:-1]:
        return output.reshape(-1, output.shape[-1]), target.reshape(-1)
    return output, target


def mode_for(metric):
    """'max' for accuracy-like metric names, 'min' for losses and perplexity."""
    return "max" if metric.split("/")[-1].startswith(HIGHER_IS_BETTER) else "min"


class Metrics:
    """Running sums of the requested metrics over batches."""

    def __init__(self, names):
        self.names = list(names)
        self.reset()

    def reset(self):
        self.loss_sum, self.count, self.correct, self.classified = 0.0, 0, 0, 0
        self.topk = {int(n[3:]): 0 for n in self.names if n.startswith("top")}

    def update(self, output, target, loss):
        """output: logits; target: class ids (or any target for regression losses); loss: the batch mean."""
        output, target = align(output, target)
        t = target.detach().cpu().numpy()
        is_class = t.dtype.kind in "iu" and output.dim() == 2 and t.ndim == 1
        keep = (t != -100) if is_class else np.ones(t.shape[:1], bool)
        n = int(keep.sum())
        self.loss_sum += float(loss) * n
        self.count += n
        self.classified += n if is_class else 0
        if is_class and (self.topk or "accuracy" in self.names):
            logits = output.detach().float().cpu().numpy()[keep]
            t = t[keep]
            self.correct += int((logits.argmax(-1) == t).sum())
            for k in self.topk:
                k_eff = min(k, logits.shape[-1])
                top = np.argpartition(-logits, k_eff - 1, axis=-1)[:, :k_eff]
                self.topk[k] += int((top == t[:, None]).any(-1).sum())

    def compute(self):
        if self.count == 0:
            return {}
        out = {}
        mean_loss = self.loss_sum / self.count
        for name in self.names:
            if name == "loss":
                out["loss"] = mean_loss
            elif name == "accuracy" and self.classified:
                out["accuracy"] = self.correct / self.classified
            elif name == "perplexity":
                out["perplexity"] = math.exp(min(mean_loss, 700.0))
            elif name.startswith("top") and self.classified:
                out[name] = self.topk[int(name[3:])] / self.classified
        return out


class MetricLog:
    """Appends one JSON object per line to RUN_DIR/metrics.jsonl and mirrors it as metrics.csv.

    `lines` counts the lines of metrics.jsonl; the trainer saves it in each checkpoint, and on resume
    `truncate(step, lines)` keeps exactly the lines written before that checkpoint (a row logged
    after it, e.g. an epoch-end validation row just before a kill, is redone once, not twice).
    """

    def __init__(self, run_dir):
        self.jsonl = os.path.join(run_dir, "metrics.jsonl")
        self.csv = os.path.join(run_dir, "metrics.csv")
        self.lines = len(self._lines())

    def _lines(self):
        if not os.path.exists(self.jsonl):
            return []
        with open(self.jsonl, encoding="utf-8", errors="replace") as f:
            return f.readlines()

    def read(self, lines=None):
        """The rows (dicts). A bad line in the middle is skipped with a warning naming the file and
        line; a last line without its newline (cut by a kill) is dropped quietly."""
        lines = self._lines() if lines is None else lines
        rows, bad = [], []
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict):
                rows.append(row)
            elif line.strip() and not (number == len(lines) and not line.endswith("\n")):
                bad.append(number)
        if bad:
            where = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
            warnings.warn(f"{self.jsonl}: line{'s' if len(bad) > 1 else ''} {where} not a JSON object; skipped "
                          f"({len(rows)} good rows kept)", RuntimeWarning, stacklevel=2)
        return rows

    def truncate(self, step, lines=None):
        """Keep the first `lines` lines (None: all) and, of those, the rows at or before `step`."""
        kept = self._lines()
        if lines is not None:
            kept = kept[:lines]
        rows = [r for r in self.read(kept) if r.get("step", 0) <= step]
        try:
            with open(self.jsonl, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        except OSError as e:
            raise named(e, self.jsonl) from None
        self.lines = len(rows)
        self.write_csv(rows)

    def log(self, row):
        try:
            with open(self.jsonl, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        except OSError as e:
            raise named(e, self.jsonl) from None
        self.lines += 1

    def write_csv(self, rows=None):
        rows = self.read() if rows is None else rows
        columns = []
        for r in rows:
            columns += [k for k in r if k not in columns]
        tmp = self.csv + ".tmp"
        try:
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
            os.replace(tmp, self.csv)
        except OSError as e:
            raise named(e, self.csv) from None
