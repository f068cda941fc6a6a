"""`repr(tensor)` in PyTorch's layout: aligned columns, 4 decimals or scientific notation,
'...' summaries above 1000 elements, and the dtype/device/grad suffixes."""
import numpy as np

from . import _dtype

THRESHOLD, EDGEITEMS, LINEWIDTH = 1000, 3, 80


def _float_formatter(values):
    """PyTorch's _Formatter for floats: (format one value, column width). The mode (integer-valued,
    fixed 4 decimals or scientific) and the width come from the nonzero finite values only."""
    finite = values[np.isfinite(values)]
    nz = finite[finite != 0]
    int_mode, sci, width = True, False, 1
    if nz.size:
        lo, hi = np.abs(nz).min(), np.abs(nz).max()
        int_mode = bool(np.all(nz == np.ceil(nz)))
        sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)
        if sci:
            width = max(len(f"{v:.4e}") for v in nz.tolist())
        elif int_mode:
            width = max(len(f"{v:.0f}") + 1 for v in nz.tolist())
        else:
            width = max(len(f"{v:.4f}") for v in nz.tolist())

    def one(v):
        if sci:
            return f"{v:{width}.4e}"
        if int_mode:
            return f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        return f"{v:.4f}"
    return one, width


def _summarized(a):
    """The elements that are printed (edges only when summarizing), to size the columns."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.concatenate([_summarized(x).reshape(-1) for x in a]) if a.ndim > 1 else a


def _format_array(a, fmt, width, indent, summarize):
    if a.ndim == 0:
        return fmt(a.item()).rjust(width)
    if a.ndim == 1:
        items = [fmt(v).rjust(width) for v in a.tolist()] if not summarize or a.shape[0] <= 2 * EDGEITEMS else (
            [fmt(v).rjust(width) for v in a[:EDGEITEMS].tolist()] + ["..."]
            + [fmt(v).rjust(width) for v in a[-EDGEITEMS:].tolist()])
        items = [" ..." if i == EDGEITEMS and summarize and a.shape[0] > 2 * EDGEITEMS else x
                 for i, x in enumerate(items)]
        per_line = max(1, (LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    rows = list(range(a.shape[0]))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        rows = rows[:EDGEITEMS] + [None] + rows[-EDGEITEMS:]
    parts = ["..." if r is None else _format_array(a[r], fmt, width, indent + 1, summarize) for r in rows]
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    a = t.detach().cpu().numpy()
    if t.dtype in (_dtype.float16, _dtype.bfloat16):
        a = a.astype(np.float32)
    summarize = a.size > THRESHOLD
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        shown = _summarized(a) if summarize else a.reshape(-1)
        if t.dtype.is_floating_point:
            fmt, width = _float_formatter(shown.astype(np.float64))
        else:
            fmt = str
            width = max(len(fmt(v)) for v in shown.tolist())
        body = _format_array(a, fmt, width, len(prefix), summarize)
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_) or (
            a.size == 0 and t.dtype is not _dtype.get_default_dtype()):
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))


def _add_suffixes(text, suffixes, indent):
    """Append ', suffix' items, moving one to a new line when it would pass the line width."""
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"
