"""One forward of a sample-shaped batch before anything trains: a layer that does not fit its input is
named by its config key, not found by a traceback at the first batch.

    paths = {}
    model = build_model(cfg["model"], info, paths=paths)   # paths: {id(module): config key path}
    check_forward(model, loss_fn, dataset, paths, device)
    # ConfigError: model.layers[3]: Linear(in_features=256) got input of shape (2, 128); mat1 and mat2 ...

The batch is the dataset's first two items (default_collate), run in eval mode under no_grad with
every RNG saved and restored, so the check changes nothing a run computes.
"""
import tritorch
from ..utils.data import IterableDataset, default_collate
from . import checkpoint as ckpt
from .errors import ConfigError
from .metrics import align

WIDTH_ATTRS = ("in_features", "in_channels", "num_features", "normalized_shape", "embedding_dim", "input_size",
               "embed_dim", "d_model", "num_embeddings")


def sample_batch(dataset, n=2):
    """A list (*inputs, target) made of the first `n` items, or None when no such batch can be made."""
    if dataset is None or isinstance(dataset, IterableDataset) or not hasattr(dataset, "__getitem__"):
        return None
    try:
        size = len(dataset)
        batch = default_collate([dataset[i % size] for i in range(n)]) if size else None
    except Exception:  # an odd dataset: the training loop's own errors will say more than a guess here
        return None
    return list(batch) if isinstance(batch, (list, tuple)) and len(batch) >= 2 else None


def _label(module):
    """'Linear(in_features=256)': the class and the width it expects."""
    for attr in WIDTH_ATTRS:
        value = getattr(module, attr, None)
        if isinstance(value, (int, tuple, list)) and not isinstance(value, bool):
            return f"{type(module).__name__}({attr}={value})"
    return type(module).__name__


def _shapes(args):
    parts = [str(tuple(a.shape)) if isinstance(a, tritorch.Tensor) else type(a).__name__ for a in args]
    return " and ".join(parts) or "no arguments"


def _first_line(e):
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _failure(stack, paths, names, e):
    """(config key path, one-line message) for an exception raised inside the modules on `stack`
    (outermost first): the innermost module built from the config owns the error."""
    leaf, args = stack[-1]
    owner = next((m for m, _ in reversed(stack) if id(m) in paths), stack[0][0])
    inner = "" if leaf is owner else f" ({names.get(id(leaf), '?')} inside {type(owner).__name__})"
    message = f"{_label(leaf)}{inner} got input of shape {_shapes(args)}; {_first_line(e)}"
    return paths.get(id(owner), ("model",)), message


def run_forward(model, inputs, paths):
    """model(*inputs) with hooks that know which module is running; ConfigError naming its key on failure."""
    stack = []
    names = {id(m): n for n, m in model.named_modules()}

    def enter(module, args):
        stack.append((module, args))

    def leave(module, args, output):
        stack.pop()

    handles = []
    for m in model.modules():
        handles += [m.register_forward_pre_hook(enter), m.register_forward_hook(leave)]
    try:
        return model(*inputs)
    except Exception as e:
        if not stack:
            raise
        path, message = _failure(stack, paths, names, e)
        raise ConfigError([(path, message)]) from e
    finally:
        for h in handles:
            h.remove()


def check_forward(model, loss_fn, dataset, paths, device, cfg=None):
    """Run one batch of 2 samples through the model and the loss; ConfigError (with `cfg`'s file lines)
    naming the config key of the module whose input does not fit. A dataset that cannot be indexed
    is skipped."""
    batch = sample_batch(dataset)
    if batch is None:
        return
    *inputs, target = [x.to(device) if isinstance(x, tritorch.Tensor) else x for x in batch]
    was_training, rng = model.training, ckpt.rng_state()
    model.eval()
    try:
        with tritorch.no_grad():
            output = run_forward(model, inputs, paths)
            output, target = align(output, target)
            try:
                loss_fn(output, target)
            except Exception as e:
                shape = tuple(output.shape) if isinstance(output, tritorch.Tensor) else type(output).__name__
                tshape = tuple(target.shape) if isinstance(target, tritorch.Tensor) else type(target).__name__
                raise ConfigError([(("loss",), f"{type(loss_fn).__name__} got the model's output of shape {shape} "
                                               f"and a target of shape {tshape}; {_first_line(e)}")]) from e
    except ConfigError as e:
        raise ConfigError(e.issues, cfg=cfg) from e.__cause__
    finally:
        model.train(was_training)
        ckpt.set_rng_state(rng)
