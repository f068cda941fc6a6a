"""What every kernel family shares: argument checks, config choice, and the epilogue activations.

Configs are plain dicts (JSON-friendly, so the autotune cache can store them): the kernel's
block-size constexprs plus ``num_warps`` and ``num_stages``, e.g.
``{"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8, "num_warps": 4, "num_stages": 3}``.
A launcher takes ``config=`` (a dict, used as is: tests force small blocks this way), else runs
``launch_tuned(kernel, key, default, launch)`` (``kernels._cache``): the tuned config when the cache has
one (the default, with a warning, when that one fails to compile or launch), else its default.
"""
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import as_device_array, as_dtype, install_triton_driver

from ._cache import launch_tuned, lookup  # noqa: F401  (re-exported: every launcher imports them from here)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float16), as_dtype("bfloat16"))
ACTIVATIONS = {"none": 0, "relu": 1, "gelu": 2, "gelu_tanh": 3, "silu": 4}
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# -- arguments -------------------------------------------------------------------------------------
def device_array(x, name):
    """``x`` as a DeviceArray (no copy), or TypeError naming the argument."""
    try:
        return as_device_array(x)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None


def check_float(x, name):
    """TypeError unless DeviceArray ``x`` holds float32, float16 or bfloat16."""
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32, float16 or bfloat16, got {x.dtype} (shape {x.shape})")


def check_out(out, shape, dtype, name="out"):
    """``out`` as a DeviceArray of exactly ``shape`` and ``dtype`` (any strides)."""
    out = device_array(out, name)
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype:
        raise ValueError(f"{name} must have shape {tuple(shape)} and dtype {dtype}, "
                         f"got shape {out.shape} and dtype {out.dtype}")
    return out


def prepare_launch():
    """Install tritorch's Triton driver on a real GPU (once); nothing when emulated."""
    install_triton_driver()


def activation_code(activation):
    """The constexpr code of an epilogue activation name; ValueError for unknown names."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


# -- configs ---------------------------------------------------------------------------------------
def bucket(n):
    """Shape bucket for cache keys: the next power of two >= n (1 for n <= 1)."""
    return triton.next_power_of_2(max(int(n), 1))


def check_config(config, kernel, keys, dot_keys=()):
    """``config`` (a dict) unless it is not a config of ``kernel``: ValueError naming the key when a key
    in ``keys`` is missing or unknown, a block size is not a power of two, a dot dimension (``dot_keys``)
    is under 16 (Triton's tl.dot minimum: the interpreter accepts it, the GPU compiler does not), or
    num_warps / num_stages / maxnreg is out of range."""
    if not isinstance(config, dict):
        raise TypeError(f"{kernel} config must be a dict, got {type(config).__name__}")
    allowed = set(keys) | set(_OPTIONS)
    missing, unknown = set(keys) - set(config), set(config) - allowed
    if missing or unknown:
        raise ValueError(f"{kernel} config {config}: " + "; ".join(
            ([f"missing {', '.join(sorted(missing))}"] if missing else []) +
            ([f"unknown {', '.join(sorted(unknown))} (takes {', '.join(sorted(allowed))})"] if unknown else [])))
    for key, value in config.items():
        if type(value) is not int or value < 1:
            raise ValueError(f"{kernel} config {key}={value!r} must be a positive int")
        if key.startswith("BLOCK_") and value & (value - 1):
            raise ValueError(f"{kernel} config {key}={value} must be a power of two")
        if key in dot_keys and value < 16:
            raise ValueError(f"{kernel} config {key}={value} is a tl.dot dimension: it must be >= 16 "
                             f"(the GPU compiler rejects smaller dot operands)")
    if config.get("num_warps", 4) not in (1, 2, 4, 8, 16, 32):
        raise ValueError(f"{kernel} config num_warps={config['num_warps']} must be 1, 2, 4, 8, 16 or 32")
    if not 24 <= config.get("maxnreg", 255) <= 255:
        raise ValueError(f"{kernel} config maxnreg={config['maxnreg']} must be in [24, 255] (registers per thread)")
    return config


_OPTIONS = ("num_warps", "num_stages", "maxnreg")


def split_config(config):
    """``(constexprs, launch options)`` of a config dict: options are num_warps, num_stages and maxnreg
    (ptxas's register cap per thread)."""
    constexprs = {k: v for k, v in config.items() if k not in _OPTIONS}
    options = {k: config[k] for k in _OPTIONS if k in config}
    return constexprs, options


# -- epilogue activations ------------------------------------------------------------------------------
@triton.jit
def _tanh(x):
    e = tl.exp(-2.0 * tl.abs(x))  # in (0, 1]: never overflows
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x < 0, -t, t)


@triton.jit
def apply_activation(z, ACTIVATION: tl.constexpr):
    """act(z) for a float32 block ``z``; ACTIVATION is a code from ``ACTIVATIONS``."""
    if ACTIVATION == 1:
        z = tl.maximum(z, 0.0)
    elif ACTIVATION == 2:
        z = 0.5 * z * (1.0 + tl.erf(z * 0.7071067811865476))
    elif ACTIVATION == 3:
        z = 0.5 * z * (1.0 + _tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)))
    elif ACTIVATION == 4:
        z = z * tl.sigmoid(z)
    return z


@triton.jit
def activation_grad(z, ACTIVATION: tl.constexpr):
    """act'(z) for a float32 block of pre-activations ``z``."""
    if ACTIVATION == 0:
        g = tl.full(z.shape, 1.0, tl.float32)
    elif ACTIVATION == 1:
        g = tl.where(z > 0.0, 1.0, 0.0)
    elif ACTIVATION == 2:
        g = 0.5 * (1.0 + tl.erf(z * 0.7071067811865476)) + z * 0.3989422804014327 * tl.exp(-0.5 * z * z)
    elif ACTIVATION == 3:
        t = _tanh(0.7978845608028654 * (z + 0.044715 * z * z * z))
        g = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * z * z)
    else:
        s = tl.sigmoid(z)
        g = s * (1.0 + z * (1.0 - s))
    return g


_erf = np.frompyfunc(math.erf, 1, 1)


def activation_reference(z, activation):
    """act(z) in float64 (numpy)."""
    z = np.asarray(z, np.float64)
    if activation == "none":
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "gelu":
        return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)).astype(np.float64))
    if activation == "gelu_tanh":
        return 0.5 * z * (1.0 + np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3)))
    if activation == "silu":
        return z / (1.0 + np.exp(-z))
    raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")


def activation_grad_reference(z, activation):
    """act'(z) in float64 (numpy)."""
    z = np.asarray(z, np.float64)
    if activation == "none":
        return np.ones_like(z)
    if activation == "relu":
        return (z > 0).astype(np.float64)
    if activation == "gelu":
        cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)).astype(np.float64))
        return cdf + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    if activation == "gelu_tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3))
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * z * z)
    if activation == "silu":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 + z * (1.0 - s))
    raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
