"""The kernel shapes one training step of a training config uses: what `tritorch tune` sweeps for it.

    shapes_from_training("configs/digits_mlp.yaml")   # Linear 64->128, Linear 128->10, batch 64
    # {'dtype': 'float32',
    #  'shapes': {'cross_entropy': [{'rows': 64, 'classes': 10}],
    #             'matmul': [{'M': 10, 'N': 128, 'K': 64},     # dW of layer 2: g.T @ h
    #                        {'M': 64, 'N': 10, 'K': 128},     # forward of layer 2
    #                        {'M': 64, 'N': 128, 'K': 10},     # dX of layer 2: g @ W
    #                        {'M': 64, 'N': 128, 'K': 64},     # forward of layer 1
    #                        {'M': 128, 'N': 64, 'K': 64}],    # dW of layer 1 (no dX: the input needs none)
    #             'softmax': [{'rows': 64, 'cols': 10}]}}      # the cross-entropy backward's

The config is built by `tritorch.train.Trainer` itself (same loading, validation, errors, model,
loss and data), on the CPU (`device=cpu` is added after the overrides). One batch then runs
forward + backward (no optimizer step) while the CPU backend's fused primitives are wrapped to
record the shapes they are called with. Backward GEMMs (Linear's dX and dW in `linear_backward`,
matmul's grads) are recorded as the backend really computes them; the cross-entropy backward's
softmax and `attention_backward` likewise; log_softmax is the same
primitive as softmax (log=True) and counts as "softmax". Global RNG states are restored
afterwards and the backend functions always are (even when the step raises).
"""
import contextlib
import copy
import math

from ..train import checkpoint
from ..train.config import Config
from ..train.metrics import align
from ..train.overrides import apply_overrides
from ..train.trainer import Trainer, _to

__all__ = ["shapes_from_training", "recording", "KEYS"]

# kernel name -> the keys of its shape dicts, in this order
KEYS = {"matmul": ("M", "N", "K"), "softmax": ("rows", "cols"), "layer_norm": ("rows", "cols"),
        "rms_norm": ("rows", "cols"), "cross_entropy": ("rows", "classes"),
        "attention": ("batch", "heads", "seq_q", "seq_k", "head_dim")}


def _rows_cols(shape, cols_from):
    """(product of shape[:cols_from], product of shape[cols_from:])."""
    return math.prod(shape[:cols_from]), math.prod(shape[cols_from:])


def _matmul(a, b, *_):
    """(M, N, K) of a @ b: a 2-D right operand folds a's leading dims into M (one GEMM, as linear
    does); a batched one gives one GEMM per batch entry, of M = a's rows."""
    m = math.prod(a.shape[:-1]) if b.ndim <= 2 else (a.shape[-2] if a.ndim >= 2 else 1)
    return m, (b.shape[-1] if b.ndim >= 2 else 1), a.shape[-1]


def _softmax(a, axis, *_):
    shape = a.shape or (1,)
    axis = axis % len(shape)
    return math.prod(shape[:axis] + shape[axis + 1:]), shape[axis]


def _norm(x, nd, *_):
    return _rows_cols(x.shape, x.ndim - nd)


def _attention(q, k, *_):
    return q.shape[0], q.shape[1], q.shape[2], k.shape[2], q.shape[3]


def _linear_backward(g, x, w, need_x, need_w, *_):
    """The GEMMs of the CPU's fused linear backward: dX = g (rows, out) @ w and dW = g.T @ x (rows, in)."""
    rows, (out_f, in_f) = math.prod(x.shape[:-1]), w.shape
    return [(rows, in_f, out_f)] * bool(need_x) + [(out_f, in_f, rows)] * bool(need_w)


# backend function name -> (kernel name, its shape tuple, or a list of them, from the call's positional
# arguments)
RECORDERS = {
    "linear": ("matmul", lambda x, w, *_: (math.prod(x.shape[:-1]), w.shape[0], w.shape[1])),
    "matmul": ("matmul", _matmul),
    "softmax": ("softmax", _softmax),
    "layer_norm": ("layer_norm", _norm),
    "rms_norm": ("rms_norm", _norm),
    "attention": ("attention", _attention),
    "attention_backward": ("attention", lambda g, q, k, *_: _attention(q, k)),
    "cross_entropy": ("cross_entropy", lambda logits, *_: logits.shape),
    "linear_backward": ("matmul", _linear_backward),
    "cross_entropy_backward": ("softmax", lambda logits, *_: [logits.shape]),  # its softmax over the classes
    "cross_entropy_reduced": ("cross_entropy", lambda logits, *_: logits.shape),  # the mean/sum in one node
}


@contextlib.contextmanager
def recording(backend=None):
    """Wrap the fused primitives of `backend` (default: the CPU backend, the module every op
    dispatches through) to record call shapes; yields {kernel: set of shape tuples}. The original
    functions are put back on exit, whatever happens inside."""
    if backend is None:
        import tritorch
        from .._dispatch import backend_for
        backend = backend_for(tritorch.device("cpu"))
    seen = {}
    saved = {name: getattr(backend, name) for name in RECORDERS if hasattr(backend, name)}

    def wrap(name, fn):
        kernel, shape_of = RECORDERS[name]

        def recorded(*args, **kwargs):
            shapes = shape_of(*args)
            for shape in shapes if isinstance(shapes, list) else [shapes]:
                seen.setdefault(kernel, set()).add(tuple(int(n) for n in shape))
            return fn(*args, **kwargs)
        return recorded

    try:
        for name, fn in saved.items():
            setattr(backend, name, wrap(name, fn))
        yield seen
    finally:
        for name, fn in saved.items():
            setattr(backend, name, fn)


def _trainer(path_or_config, overrides):
    overrides = [*overrides, "device=cpu"]
    if isinstance(path_or_config, Config):  # Trainer takes a Config as it is: apply the overrides to a copy
        cfg = path_or_config
        cfg = Config(copy.deepcopy(cfg.data), cfg.source, cfg.lines, dict(cfg.overridden))
        apply_overrides(cfg, overrides)
        return Trainer(cfg, progress=False)
    return Trainer(path_or_config, overrides=overrides, progress=False)


def shapes_from_training(path_or_config, *, overrides=()):
    """The kernel shapes one training step of this training config uses.

    Args:
        path_or_config: a training YAML path, a config dict, or a `tritorch.train.config.Config`.
        overrides (list of str): `key.path=value` strings, as `tritorch train` takes them.

    Returns:
        {"dtype": "float32" | "bfloat16" | "float16",   # the training precision (autocast dtype if on)
         "shapes": {kernel_name: [shape_dict, ...]}}    # kernels in KEYS that the step uses; each list
                                                        # deduplicated and sorted; dict values are ints

    Raises ConfigError (a ValueError) exactly as `tritorch train` does for a bad path or config.
    """
    rng = checkpoint.rng_state()  # the Trainer seeds every global RNG: give the caller its own back
    try:
        trainer = _trainer(path_or_config, overrides)
        batch = next(iter(trainer.loader))
        trainer.model.train()
        with recording() as seen:
            *inputs, target = _to(batch, trainer.device)
            output, target = align(trainer.precision.forward(trainer.model, inputs), target)
            trainer.precision.backward(trainer.loss_fn(output, target))
    finally:
        checkpoint.set_rng_state(rng)
    low = trainer.precision.low
    return {"dtype": low.name if low is not None else "float32",
            "shapes": {kernel: [dict(zip(KEYS[kernel], s)) for s in sorted(seen[kernel])]
                       for kernel in sorted(seen)}}
