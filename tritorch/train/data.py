"""The `data:` section -> datasets per split and DataLoaders whose order can be resumed.

Split arguments: `data.dataset` holds the arguments every split shares; `data.train`, `data.val`,
`data.test` add per-split ones. Datasets with a `train` argument (Digits, MNIST) get
`train: true/false` by default, CharText `split: train/val`; others (TextClassification) need
their split files named (`train: {path: train.tsv}`). With `val_fraction > 0` the validation set
is that fraction of the training split, chosen by the seed.

The training order is a permutation drawn from (seed, epoch) alone: a resumed run replays the
same order and skips the batches it has already seen, without touching any global RNG.
"""
import inspect
import os

import numpy as np

from .. import _random
from ..utils.data import DataLoader, Sampler, Subset
from . import registry

SPLITS = ("train", "val", "test")
PATH_KEYS = ("path", "root")  # dataset arguments that name a file or folder


def resolve_data_paths(data_cfg, config_dir):
    """Relative `path`/`root` values are read from the current directory; one that does not exist
    there but does in `config_dir` (the config file's folder) is replaced by that absolute path, so a
    config next to its data works from anywhere (and the run's saved config.yaml keeps the path)."""
    if not config_dir:
        return
    for section in ("dataset",) + SPLITS:
        spec = data_cfg.get(section)
        for key in PATH_KEYS if isinstance(spec, dict) else ():
            value = spec.get(key)
            if isinstance(value, str) and value and not os.path.isabs(os.path.expanduser(value)) \
                    and not os.path.exists(value) and os.path.exists(os.path.join(config_dir, value)):
                spec[key] = os.path.abspath(os.path.join(config_dir, value))
DEFAULT_SPLITS = {"CharText": {"train": {"split": "train"}, "val": {"split": "val"}, "test": {"split": "val"}}}


def _params(cls):
    try:
        return inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}


def default_split_args(cls, split):
    """The arguments that select `split` of dataset class `cls`, or None when it has no such split."""
    if cls.__name__ in DEFAULT_SPLITS:
        return dict(DEFAULT_SPLITS[cls.__name__][split])
    params = _params(cls)
    if "train" in params:
        return {"train": split == "train"}
    return {} if split == "train" else None


def split_args(cls, data_cfg, split):
    """Merged constructor arguments of one split (without `type`), or None when the split is absent."""
    if split == "val" and data_cfg.get("val_fraction"):
        return None
    default, explicit = default_split_args(cls, split), data_cfg.get(split)
    if default is None and explicit is None:
        return None
    shared = {k: v for k, v in data_cfg["dataset"].items() if k != "type"}
    return {**shared, **(default or {}), **(explicit or {})}


def build_datasets(data_cfg, seed, allowed=()):
    """{'train': Dataset, 'val': Dataset or None, 'test': Dataset or None}. `allowed`: see imports.py."""
    cls = registry.lookup("dataset", data_cfg["dataset"]["type"], allowed)
    params = _params(cls)
    out = {}
    for split in SPLITS:
        args = split_args(cls, data_cfg, split)
        if args is None:
            out[split] = None
            continue
        if split != "train":  # a validation set encodes like the training set
            for shared in ("vocab", "classes"):
                if shared in params and shared not in args and hasattr(out["train"], shared):
                    args[shared] = getattr(out["train"], shared)
        for key in PATH_KEYS:  # absolute, so an error names the very file that was tried
            if isinstance(args.get(key), str) and args[key]:
                args[key] = os.path.abspath(os.path.expanduser(args[key]))
        try:
            out[split] = cls(**args)
        except (OSError, RuntimeError, ValueError, KeyError) as e:  # missing files, bad columns: no traceback
            from .errors import ConfigError
            hint = " (a relative path is read from the current directory, else from the config file's folder)" \
                if isinstance(e, OSError) or "not found" in str(e) else ""
            raise ConfigError([(("data", split), f"{cls.__name__}(...) failed: {e}{hint}")]) from e
    fraction = data_cfg.get("val_fraction") or 0.0
    if fraction:
        train = out["train"]
        n_val = max(1, int(round(len(train) * fraction)))
        order = np.random.default_rng(seed).permutation(len(train))
        out["val"] = Subset(train, order[:n_val].tolist())
        out["train"] = Subset(train, order[n_val:].tolist())
    return out


def base_dataset(ds):
    while isinstance(ds, Subset):
        ds = ds.dataset
    return ds


def dataset_info(ds):
    """What models and `${dataset.*}` references need: vocab_size, num_classes, block_size, vocab, classes."""
    ds = base_dataset(ds)
    info = {}
    if hasattr(ds, "vocab_size"):
        info["vocab_size"] = int(ds.vocab_size)
    itos = getattr(ds, "itos", None)
    if itos is None and hasattr(getattr(ds, "vocab", None), "itos"):
        itos = ds.vocab.itos
    if isinstance(itos, list):
        info["vocab"] = list(itos)
    classes = getattr(ds, "classes", None)
    if isinstance(classes, list):
        info["classes"] = [c if isinstance(c, (int, str)) else str(c) for c in classes]
        info["num_classes"] = len(classes)
    for key in ("block_size", "max_length"):
        if isinstance(getattr(ds, key, None), int):
            info[key] = getattr(ds, key)
    return info


class ResumableSampler(Sampler):
    """Indices 0..n-1, shuffled by (seed, epoch), starting at `start` (then from 0 again).

    `set_epoch(e)` picks the epoch's permutation; `set_start(k)` skips its first k indices once,
    which is how a resumed run continues in the middle of an epoch.
    """

    def __init__(self, n, shuffle=True, seed=0, replicas=1, rank=0):
        self.n, self.shuffle, self.seed = n, shuffle, seed
        self.replicas, self.rank = replicas, rank  # data-parallel: this rank's share, as DistributedSampler
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def set_start(self, start):
        self.start = start

    def __iter__(self):
        order = (np.random.default_rng([self.seed, self.epoch]).permutation(self.n) if self.shuffle
                 else np.arange(self.n))
        if self.replicas > 1:  # pad with the first indices to a multiple of the ranks, then deal them out
            order = np.resize(order, self._per_rank() * self.replicas)[self.rank::self.replicas]
        start, self.start = self.start, 0
        return iter(order[start:].tolist())

    def _per_rank(self):
        return -(-self.n // self.replicas)

    def __len__(self):
        return self._per_rank() - self.start


def _loader_generator(seed):
    return _random.Generator().manual_seed(seed)


def train_loader(dataset, data_cfg, seed, replicas=1, rank=0):
    sampler = ResumableSampler(len(dataset), shuffle=data_cfg["shuffle"], seed=seed, replicas=replicas, rank=rank)
    return DataLoader(dataset, batch_size=data_cfg["batch_size"], sampler=sampler,
                      num_workers=data_cfg["num_workers"], drop_last=data_cfg["drop_last"],
                      generator=_loader_generator(seed))


def eval_loader(dataset, data_cfg, seed=0, limit_batches=None):
    """Batches in order; with limit_batches, only that many batches of samples spread evenly over the split."""
    batch_size = data_cfg.get("eval_batch_size") or data_cfg["batch_size"]
    if limit_batches is not None and limit_batches * batch_size < len(dataset):
        picks = np.linspace(0, len(dataset) - 1, limit_batches * batch_size).round().astype(np.int64)
        dataset = Subset(dataset, picks.tolist())
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=data_cfg["num_workers"],
                      generator=_loader_generator(seed))
