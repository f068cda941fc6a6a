"""The Tunables of tritorch's kernels: matmul, softmax, layer_norm, rms_norm, attention, cross_entropy
(and the backward kernels that have their own cache entries).

Shape params: matmul ``M, N, K`` (``(M, K) @ (K, N)``); softmax, layer_norm, rms_norm ``rows, cols``
(the last dim is reduced); attention ``batch, heads, seq_q, seq_k, head_dim`` and optional ``causal``
(0 or 1); cross_entropy ``rows, classes`` (forward and backward kernels, which share a config).
Resource estimates are per program: shared memory for the software-pipelined tiles, registers per
thread for what a program holds in registers, in 32-bit words.
"""
import numpy as np

from tritorch.cuda import get_device_capability, to_device
from tritorch.kernels import attention as attention_fn
from tritorch.kernels import (attention_backward, cross_entropy, cross_entropy_backward,
                              cross_entropy_backward_reference, cross_entropy_reference, layer_norm,
                              layer_norm_backward, layer_norm_backward_reference, layer_norm_reference, matmul,
                              rms_norm, rms_norm_backward, rms_norm_reference, softmax, softmax_backward,
                              softmax_backward_reference, softmax_reference)
from tritorch.kernels.attention import (attention_backward_configs, attention_backward_reference,
                                        attention_backward_shared, attention_configs, attention_default_config,
                                        attention_key, attention_reference)
from tritorch.kernels.cross_entropy import cross_entropy_configs, cross_entropy_default_config, cross_entropy_key
from tritorch.kernels.layernorm import (layer_norm_backward_configs, layer_norm_configs, layer_norm_default_config,
                                        layer_norm_key, machine_epsilon)
from tritorch.kernels.matmul import matmul_configs, matmul_default_config, matmul_key
from tritorch.kernels.softmax import softmax_configs, softmax_default_config, softmax_key

from .tunable import Tunable, np_dtype


def _randn(rng, shape, dtype):
    return rng.standard_normal(shape).astype(np_dtype(dtype))


def _size(dtype):
    return np_dtype(dtype).itemsize


def _threads(config):
    return 32 * config["num_warps"]


# -- matmul ----------------------------------------------------------------------------------------
def _matmul_resources(c, shape, dtype):
    operands = c["BLOCK_M"] * c["BLOCK_K"] + c["BLOCK_K"] * c["BLOCK_N"]
    registers = (c["BLOCK_M"] * c["BLOCK_N"] + operands * _size(dtype) / 4) / _threads(c)
    return c["num_stages"] * operands * _size(dtype), registers


MATMUL = Tunable(
    name="matmul", params=("M", "N", "K"),
    space=lambda s, d: matmul_configs(),
    default=lambda s, d: matmul_default_config(s["M"], s["N"], s["K"], np_dtype(d), get_device_capability()),
    key=lambda s, d: matmul_key(s["M"], s["N"], s["K"], np_dtype(d)),
    inputs=lambda s, d, rng: {"a": _randn(rng, (s["M"], s["K"]), d), "b": _randn(rng, (s["K"], s["N"]), d)},
    run=lambda x, s, c: matmul(x["a"], x["b"], config=c),
    reference=lambda x, s: np.asarray(x["a"], np.float64) @ np.asarray(x["b"], np.float64),
    work=lambda s, d: (2.0 * s["M"] * s["N"] * s["K"], 0),
    resources=_matmul_resources)


# -- row kernels: softmax, layer_norm, rms_norm ------------------------------------------------------
def _rows_resources(arrays):
    """Registers for ``arrays`` float32 row blocks of BLOCK_N (or BLOCK_V) spread over the threads."""
    def resources(c, shape, dtype):
        block = c.get("BLOCK_N", c.get("BLOCK_V"))
        return 0, arrays * block / _threads(c) + 16
    return resources


def _rows_bytes(reads_writes):
    return lambda s, d: (0, reads_writes * s["rows"] * s["cols"] * _size(d))


def _softmax_inputs(s, d, rng):
    x = _randn(rng, (s["rows"], s["cols"]), d)
    return {"x": x, "g": _randn(rng, x.shape, d), "y": softmax_reference(x).astype(x.dtype)}


SOFTMAX = Tunable(
    name="softmax", params=("rows", "cols"),
    space=lambda s, d: softmax_configs(s["cols"]), default=lambda s, d: softmax_default_config(s["cols"]),
    key=lambda s, d: softmax_key(s["cols"], np_dtype(d)), inputs=_softmax_inputs,
    run=lambda x, s, c: softmax(x["x"], -1, config=c), reference=lambda x, s: softmax_reference(x["x"]),
    work=_rows_bytes(2), resources=_rows_resources(2))

SOFTMAX_BACKWARD = Tunable(
    name="softmax_backward", params=("rows", "cols"),
    space=lambda s, d: softmax_configs(s["cols"]), default=lambda s, d: softmax_default_config(s["cols"], True),
    key=lambda s, d: softmax_key(s["cols"], np_dtype(d)), inputs=_softmax_inputs,
    run=lambda x, s, c: softmax_backward(x["g"], x["y"], -1, config=c),
    reference=lambda x, s: softmax_backward_reference(x["g"], x["y"]),
    work=_rows_bytes(3), resources=_rows_resources(3))


def _norm_inputs(s, d, rng):
    x = _randn(rng, (s["rows"], s["cols"]), d)
    return {"x": x, "w": _randn(rng, (s["cols"],), d), "b": _randn(rng, (s["cols"],), d),
            "g": _randn(rng, x.shape, d)}


def _norm_forward(rms):
    def run(x, s, c):
        out = rms_norm(x["x"], s["cols"], x["w"], config=c) if rms else \
            layer_norm(x["x"], s["cols"], x["w"], x["b"], config=c)
        return out.output

    def reference(x, s):
        if rms:
            return rms_norm_reference(x["x"], s["cols"], x["w"]).output
        return layer_norm_reference(x["x"], s["cols"], x["w"], x["b"]).output
    return run, reference


def _norm_backward(rms):
    def run(x, s, c):
        if "stats" not in x:  # the forward's statistics, once per problem (the default config)
            f = rms_norm(x["x"], s["cols"], x["w"]) if rms else layer_norm(x["x"], s["cols"], x["w"], x["b"])
            x["stats"] = f
        f = x["stats"]
        if rms:
            return rms_norm_backward(x["g"], x["x"], f.rstd, x["w"], config=c)
        return layer_norm_backward(x["g"], x["x"], f.mean, f.rstd, x["w"], has_bias=True, config=c)

    def reference(x, s):
        eps = machine_epsilon(x["x"].dtype) if rms else 1e-5
        dx, dw, db = layer_norm_backward_reference(x["g"], x["x"], s["cols"], x["w"], eps, rms=rms)
        return (dx, dw) if rms else (dx, dw, db)
    return run, reference


def _norm_tunable(name, rms, backward):
    run, reference = (_norm_backward if backward else _norm_forward)(rms)
    rows = (lambda s: s["rows"]) if backward else (lambda s: None)
    space = layer_norm_backward_configs if backward else layer_norm_configs
    return Tunable(name=name, params=("rows", "cols"), space=lambda s, d: space(s["cols"]),
                   default=lambda s, d: layer_norm_default_config(s["cols"], rows(s)),
                   key=lambda s, d: layer_norm_key(s["cols"], np_dtype(d), rows(s)), inputs=_norm_inputs,
                   run=run, reference=reference, work=_rows_bytes(3 if backward else 2),
                   resources=_rows_resources(4 if backward else 2))


LAYER_NORM = _norm_tunable("layer_norm", rms=False, backward=False)
LAYER_NORM_BACKWARD = _norm_tunable("layer_norm_backward", rms=False, backward=True)
RMS_NORM = _norm_tunable("rms_norm", rms=True, backward=False)
RMS_NORM_BACKWARD = _norm_tunable("rms_norm_backward", rms=True, backward=True)


# -- attention -------------------------------------------------------------------------------------
ATTENTION_PARAMS = ("batch", "heads", "seq_q", "seq_k", "head_dim")


def _attention_inputs(s, d, rng):
    q = _randn(rng, (s["batch"], s["heads"], s["seq_q"], s["head_dim"]), d)
    k, v = (_randn(rng, (s["batch"], s["heads"], s["seq_k"], s["head_dim"]), d) for _ in range(2))
    return {"q": q, "k": k, "v": v, "g": _randn(rng, q.shape, d)}


def _attention_resources(backward):
    def resources(c, s, d):
        D = max(16, 1 << (s["head_dim"] - 1).bit_length())
        bm, bn, size = c["BLOCK_M"], c["BLOCK_N"], _size(d)
        if backward:  # the dk/dv program: k, v and two float32 accumulators of (BLOCK_N, D) in registers
            shared = attention_backward_shared(c, s["head_dim"], size)
            registers = (2 * bn * D + 2 * bn * D * size / 4 + bm * bn) / _threads(c)
        else:  # q and the float32 output accumulator in registers, k/v tiles pipelined through shared memory
            shared = c["num_stages"] * 2 * bn * D * size
            registers = (bm * D + bm * D * size / 4 + bm * bn) / _threads(c)
        return shared, registers
    return resources


def _attention_flops(factor):
    def work(s, d):
        pairs = s["seq_q"] * s["seq_k"] * (0.5 if s.get("causal") else 1.0)
        return factor * s["batch"] * s["heads"] * pairs * s["head_dim"], 0
    return work


def _attention_backward_run(x, s, c):
    causal = bool(s.get("causal"))
    if "fwd" not in x:  # the forward's output and log-sum-exp, once per problem (the default config)
        x["fwd"] = attention_fn(x["q"], x["k"], x["v"], causal, return_lse=True)
    out, lse = x["fwd"]
    return attention_backward(x["g"], x["q"], x["k"], x["v"], out, lse, causal, config=c)


ATTENTION = Tunable(
    name="attention", params=ATTENTION_PARAMS, optional={"causal": 0},
    space=lambda s, d: attention_configs(s["head_dim"]),
    default=lambda s, d: attention_default_config(s["head_dim"], dtype=np_dtype(d), capability=get_device_capability()),
    key=lambda s, d: attention_key(s["head_dim"], max(s["seq_q"], s["seq_k"]), np_dtype(d)),
    inputs=_attention_inputs,
    run=lambda x, s, c: attention_fn(x["q"], x["k"], x["v"], bool(s.get("causal")), config=c),
    reference=lambda x, s: attention_reference(x["q"], x["k"], x["v"], bool(s.get("causal")))[0],
    work=_attention_flops(4.0), resources=_attention_resources(False))

ATTENTION_BACKWARD = Tunable(
    name="attention_backward", params=ATTENTION_PARAMS, optional={"causal": 0},
    space=lambda s, d: attention_backward_configs(s["head_dim"], _size(d)),
    default=lambda s, d: attention_default_config(s["head_dim"], backward=True, dtype=np_dtype(d),
                                                  capability=get_device_capability()),
    key=lambda s, d: attention_key(s["head_dim"], max(s["seq_q"], s["seq_k"]), np_dtype(d)),
    inputs=_attention_inputs, run=_attention_backward_run,
    reference=lambda x, s: attention_backward_reference(x["g"], x["q"], x["k"], x["v"], bool(s.get("causal"))),
    work=_attention_flops(10.0), resources=_attention_resources(True))


# -- cross_entropy (forward + backward) --------------------------------------------------------------
def _ce_inputs(s, d, rng):
    return {"x": _randn(rng, (s["rows"], s["classes"]), d),
            "t": rng.integers(0, s["classes"], s["rows"]).astype(np.int64)}


def _ce_run(x, s, c):
    losses, lse = cross_entropy(x["x"], x["t"], reduction="none", return_lse=True, config=c)
    return losses, cross_entropy_backward(1.0, x["x"], x["t"], lse, config=c)


def _ce_reference(x, s):
    return (cross_entropy_reference(x["x"], x["t"], reduction="none"),
            cross_entropy_backward_reference(1.0, x["x"], x["t"]))


CROSS_ENTROPY = Tunable(
    name="cross_entropy", params=("rows", "classes"),
    space=lambda s, d: cross_entropy_configs(s["classes"]),
    default=lambda s, d: cross_entropy_default_config(s["classes"]),
    key=lambda s, d: cross_entropy_key(s["classes"], np_dtype(d)), inputs=_ce_inputs, run=_ce_run,
    reference=_ce_reference, work=lambda s, d: (0, 3 * s["rows"] * s["classes"] * _size(d)),
    resources=_rows_resources(2))


TUNABLES = {t.name: t for t in (MATMUL, SOFTMAX, SOFTMAX_BACKWARD, LAYER_NORM, LAYER_NORM_BACKWARD, RMS_NORM,
                                RMS_NORM_BACKWARD, ATTENTION, ATTENTION_BACKWARD, CROSS_ENTROPY)}


def device_inputs(arrays):
    """The inputs as DeviceArrays (numpy arrays copied to the device; anything else as is)."""
    return {k: to_device(v) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}

