"""Random numbers from a counter-based Philox stream: rand, randn, randint, bernoulli, raw bits.

Element ``i`` of a draw uses the Philox-4x32 block at counter ``offset + i`` under the key
``seed`` (``tl.philox``), so a draw is a pure function of (seed, offset, shape): the same on every
GPU and under the interpreter, and independent of the launch grid. The caller advances
``offset`` by the number of elements after each draw, so successive draws differ; reseeding
resets it (see ``tritorch._dispatch.cuda.creation``).

* rand: float32 from 24 random bits (``tl.uniform``-style), float64 from 53; values in [0, 1).
* randn: Box-Muller on two uniforms (float64 math for float64 output).
* randint: a 64-bit draw modulo ``high - low`` (the bias is below 2**-32 for spans under 2**32).
* bernoulli: 1 where a float64 uniform is below ``p`` (a contiguous array), else 0.
* bits: 64 uniformly random bits as an int64 (randperm sorts these keys, as PyTorch's CUDA
  randperm does).

This family has no numpy twin: its stream is Philox, not numpy's PCG64; tests check moments,
ranges and reproducibility instead.
"""
import triton
import triton.language as tl

from tritorch.cuda import empty

from ._harness import prepare_launch

BLOCK = 1024
DISTRIBUTIONS = {"rand": 0, "randn": 1, "randint": 2, "bernoulli": 3, "bits": 4}


@triton.jit
def _uniform53(a, b):
    """A float64 in [0, 1) from 53 of the bits of two uint32 blocks."""
    bits = (a.to(tl.uint64) << 21) | (b >> 11).to(tl.uint64)
    return bits.to(tl.float64) * 1.1102230246251565e-16


@triton.jit(do_not_specialize=["seed", "offset", "low", "span"])
def _philox_fill(out_ptr, p_ptr, n, seed, offset, low, span,
                 DIST: tl.constexpr, FP64: tl.constexpr, BLOCK: tl.constexpr):
    """out[i] = a draw of DIST from the Philox block at counter offset + i. out_ptr: [n] contiguous;
    p_ptr: [n] contiguous probabilities (bernoulli only)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    counter = offs + offset.to(tl.int64)
    c0 = (counter & 0xFFFFFFFF).to(tl.uint32)
    c1 = (counter >> 32).to(tl.uint32)
    zero = tl.zeros_like(c0)
    r0, r1, r2, r3 = tl.philox(seed.to(tl.int64), c0, c1, zero, zero)
    if DIST == 0:
        if FP64:
            v = _uniform53(r0, r1)
        else:
            v = tl.uint_to_uniform_float(r0)
    elif DIST == 1:
        if FP64:
            u1 = 1.0 - _uniform53(r0, r1)  # (0, 1]: log is finite
            u2 = _uniform53(r2, r3)
            v = tl.sqrt(-2.0 * tl.log(u1)) * tl.cos(6.283185307179586 * u2)
        else:
            v = tl.pair_uniform_to_normal(tl.uint_to_uniform_float(r0), tl.uint_to_uniform_float(r1))[0]
    elif DIST == 2:
        bits = (r0.to(tl.uint64) << 32) | r1.to(tl.uint64)
        v = (bits % span.to(tl.uint64)).to(tl.int64) + low.to(tl.int64)
    elif DIST == 3:
        p = tl.load(p_ptr + offs, mask=mask, other=0).to(tl.float64)
        v = tl.where(_uniform53(r0, r1) < p, 1.0, 0.0)
    else:
        v = ((r0.to(tl.uint64) << 32) | r1.to(tl.uint64)).to(tl.int64, bitcast=True)
    tl.store(out_ptr + offs, v.to(out_ptr.dtype.element_ty), mask=mask)


def philox_fill(dist, shape, dtype, seed, offset, low=0, span=1, p=None):
    """A new contiguous DeviceArray of ``shape``/``dtype`` drawn from ``dist`` (a DISTRIBUTIONS name).

    Args:
        seed (int): the key (0 <= seed < 2**63). offset (int): the counter of element 0.
        low, span (int): randint's range ``[low, low + span)``.
        p (DeviceArray): bernoulli's probabilities, contiguous, of ``shape``.
    """
    out = empty(shape, dtype)
    n = out.numel()
    if n:
        prepare_launch()
        _philox_fill[(triton.cdiv(n, BLOCK),)](out, out if p is None else p, n, int(seed), int(offset), int(low),
                                               int(span), DIST=DISTRIBUTIONS[dist],
                                               FP64=out.dtype.itemsize == 8 and out.dtype.kind == "f",
                                               BLOCK=BLOCK)
    return out
