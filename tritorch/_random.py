"""Seeded random number generation: `Generator`, `manual_seed` and the default generator.

The CPU stream is numpy's PCG64. `get_state()` returns a uint8 tensor holding the generator
state as JSON, so RNG state can be checkpointed and restored exactly (no pickle).
"""
import json

import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    def __init__(self, device="cpu"):
        from ._device import as_device
        self.device = as_device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from ._ops.creation import tensor
        from . import _dtype
        blob = json.dumps({"seed": self._seed, "state": self._np.bit_generator.state}).encode()
        return tensor(list(blob), dtype=_dtype.uint8)

    def set_state(self, new_state):
        blob = bytes(np.asarray(new_state.numpy(), np.uint8).tolist())
        try:
            state = json.loads(blob)
            self._seed = state["seed"]
            self._np = np.random.Generator(np.random.PCG64())
            self._np.bit_generator.state = state["state"]
        except (ValueError, KeyError, TypeError) as e:
            raise RuntimeError(f"Generator.set_state: not a tritorch generator state ({e})") from None
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed every device's default generator (the cuda backend reads its seed from here)."""
    default_generator.manual_seed(seed)
    for hook in _seed_hooks:
        hook(int(seed))
    return default_generator


_seed_hooks = []


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def numpy_generator(generator=None):
    return (generator or default_generator)._np
