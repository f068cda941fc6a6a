"""`repr(tensor)` in PyTorch's layout: aligned columns, 4 decimals or scientific notation,
'...' summaries above 1000 elements, and the dtype/device/grad suffixes; set_printoptions changes
those figures as torch.set_printoptions does."""
import math

import numpy as np

from . import _dtype


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """How tensors print, as torch.set_printoptions.

    Args:
        precision (int, optional): digits after the point. Default: 4.
        threshold (int, optional): summarise ('...') above this many elements. Default: 1000.
        edgeitems (int, optional): items shown at each end of a summarised dim. Default: 3.
        linewidth (int, optional): characters per line. Default: 80.
        profile (str, optional): 'default', 'short' or 'full' (never summarise) set the four above.
        sci_mode (bool, optional): force (True) or forbid (False) scientific notation; None: automatic.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Invalid profile: {profile}. the profile must be one of {list(_PROFILES)}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict (torch.get_printoptions)."""
    return {k: getattr(PRINT_OPTS, k) for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


def _float_formatter(values):
    """PyTorch's _Formatter for floats: (format one value, column width). The mode (integer-valued,
    fixed 4 decimals or scientific) and the width come from the nonzero finite values only."""
    finite = values[np.isfinite(values)]
    nz = finite[finite != 0]
    p = PRINT_OPTS.precision
    int_mode, sci, width = True, False, 1
    if nz.size:
        lo, hi = np.abs(nz).min(), np.abs(nz).max()
        int_mode = bool(np.all(nz == np.ceil(nz)))
        sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)
        if PRINT_OPTS.sci_mode is not None:
            sci = PRINT_OPTS.sci_mode
        if sci:
            width = max(len(f"{v:.{p}e}") for v in nz.tolist())
        elif int_mode:
            width = max(len(f"{v:.0f}") + 1 for v in nz.tolist())
        else:
            width = max(len(f"{v:.{p}f}") for v in nz.tolist())

    def one(v):
        if sci:
            return f"{v:{width}.{p}e}"
        if int_mode:
            return f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        return f"{v:.{p}f}"
    return one, width


def _summarized(a):
    """The elements that are printed (edges only when summarizing), to size the columns."""
    if a.ndim == 0:
        return a.reshape(1)
    e = PRINT_OPTS.edgeitems
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    return np.concatenate([_summarized(x).reshape(-1) for x in a]) if a.ndim > 1 else a


def _complex_formatter(values):
    """PyTorch's pair of formatters for complex values: the real parts and the imaginary parts are
    formatted (mode and width) apart, then joined as 're+imj'. Items are not padded again; the
    width (both widths and the 'j') only sets how many fit on a line."""
    fmt_re, w_re = _float_formatter(values.real)
    fmt_im, w_im = _float_formatter(values.imag)

    def one(v):
        im = (fmt_im(v.imag).rjust(w_im) + "j").lstrip()
        return fmt_re(v.real).rjust(w_re) + (im if im[0] in "+-" else "+" + im)
    return one, w_re + w_im + 1


def _format_array(a, fmt, width, indent, summarize, pad=True):
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return fmt(a.item()).rjust(width if pad else 0)
    if a.ndim == 1:
        w = width if pad else 0
        items = [fmt(v).rjust(w) for v in a.tolist()] if not summarize or a.shape[0] <= 2 * e else (
            [fmt(v).rjust(w) for v in a[:e].tolist()] + ["..."]
            + [fmt(v).rjust(w) for v in a[-e:].tolist()])
        items = [" ..." if i == e and summarize and a.shape[0] > 2 * e else x
                 for i, x in enumerate(items)]
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    rows = list(range(a.shape[0]))
    if summarize and a.shape[0] > 2 * e:
        rows = rows[:e] + [None] + rows[-e:]
    parts = ["..." if r is None else _format_array(a[r], fmt, width, indent + 1, summarize, pad) for r in rows]
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    a = t.detach().cpu().numpy()
    if t.dtype in (_dtype.float16, _dtype.bfloat16):
        a = a.astype(np.float32)
    summarize = a.size > PRINT_OPTS.threshold
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        shown = _summarized(a) if summarize else a.reshape(-1)
        if t.dtype.is_floating_point:
            fmt, width = _float_formatter(shown.astype(np.float64))
        elif t.dtype.is_complex:
            fmt, width = _complex_formatter(shown.astype(np.complex128))
        else:
            fmt = str
            width = max(len(fmt(v)) for v in shown.tolist())
        body = _format_array(a, fmt, width, len(prefix), summarize, pad=not t.dtype.is_complex)
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.get_default_dtype().to_complex(), _dtype.int64,
                       _dtype.bool_) or (
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
        if last + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"
