"""Every public kernel takes tritorch cuda tensors, DeviceArrays and foreign GPU arrays, and gives
back the kind it was given; CPU tensors are refused with a one-line error."""
import importlib

import numpy as np
import pytest

import tritorch
from tritorch import kernels as K

cuda = importlib.import_module("tritorch.cuda")  # the runtime package, whatever tritorch re-exports


class Foreign:
    """Another library's GPU array: only __cuda_array_interface__ (over the emulated device's memory)."""

    def __init__(self, array):
        self._array = array  # keeps the memory alive
        self.__cuda_array_interface__ = array.__cuda_array_interface__


KINDS = {
    "device": cuda.to_device,
    "tensor": lambda a: tritorch.from_numpy(a).cuda(),
    "foreign": lambda a: Foreign(cuda.to_device(a)),
}
RETURNS = {"device": cuda.DeviceArray, "tensor": tritorch.Tensor, "foreign": cuda.DeviceArray}


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _cases(rng):
    """name -> (function, numpy arguments, keyword arguments): odd shapes, fresh random inputs."""
    a, b, x, w = _f32(rng, 5, 7), _f32(rng, 7, 3), _f32(rng, 4, 9), _f32(rng, 9)
    q, k, v = _f32(rng, 1, 2, 5, 8), _f32(rng, 1, 2, 6, 8), _f32(rng, 1, 2, 6, 8)
    target = rng.integers(0, 9, 4).astype(np.int64)
    out, lse = (r.numpy() for r in K.attention(*map(cuda.to_device, (q, k, v)), return_lse=True))
    _, ce_lse = K.cross_entropy(cuda.to_device(x), cuda.to_device(target), return_lse=True)
    ln = K.layer_norm(cuda.to_device(x), (9,), cuda.to_device(w))
    rms = K.rms_norm(cuda.to_device(x), (9,), cuda.to_device(w))
    probs = K.softmax(cuda.to_device(x)).numpy()
    return {
        "matmul": (K.matmul, (a, b), {}),
        "matmul_backward": (K.matmul_backward, (_f32(rng, 5, 3), a, b), {}),
        "softmax": (K.softmax, (x,), {}),
        "log_softmax": (K.log_softmax, (x,), {}),
        "softmax_backward": (K.softmax_backward, (_f32(rng, 4, 9), probs), {}),
        "attention": (K.attention, (q, k, v), {"causal": True}),
        "attention_backward": (K.attention_backward, (_f32(rng, 1, 2, 5, 8), q, k, v, out, lse), {}),
        "cross_entropy": (K.cross_entropy, (x, target), {"reduction": "none"}),
        "cross_entropy_backward": (K.cross_entropy_backward, (np.ones((), np.float32), x, target,
                                                              ce_lse.numpy()), {}),
        "linear_cross_entropy": (K.linear_cross_entropy, (_f32(rng, 4, 7), _f32(rng, 9, 7), target), {}),
        "layer_norm": (K.layer_norm, (x, (9,), w), {}),
        "layer_norm_backward": (K.layer_norm_backward, (_f32(rng, 4, 9), x, ln.mean.numpy(), ln.rstd.numpy(), w),
                                {}),
        "rms_norm": (K.rms_norm, (x, (9,), w), {}),
        "rms_norm_backward": (K.rms_norm_backward, (_f32(rng, 4, 9), x, rms.rstd.numpy(), w), {}),
    }


ENTRY_POINTS = ["matmul", "matmul_backward", "softmax", "log_softmax", "softmax_backward", "attention",
                "attention_backward", "cross_entropy", "cross_entropy_backward", "linear_cross_entropy",
                "layer_norm", "layer_norm_backward", "rms_norm", "rms_norm_backward"]


def _arrays(result):
    if isinstance(result, tuple):
        return [r for item in result for r in _arrays(item)]
    return [] if result is None else [result]


def _convert(args, make):
    return [make(x) if isinstance(x, np.ndarray) else x for x in args]


@pytest.mark.parametrize("name", ENTRY_POINTS)
@pytest.mark.parametrize("kind", ["tensor", "foreign"])
def test_each_entry_point_takes_each_kind(rng, name, kind):
    fn, args, kwargs = _cases(rng)[name]
    expected = _arrays(fn(*_convert(args, KINDS["device"]), **kwargs))
    got = _arrays(fn(*_convert(args, KINDS[kind]), **kwargs))
    assert expected and len(got) == len(expected)
    for e, g in zip(expected, got):
        assert isinstance(e, cuda.DeviceArray) and isinstance(g, RETURNS[kind]), (type(e), type(g))
        if kind == "tensor":
            assert g.device.type == "cuda" and not g.requires_grad
        np.testing.assert_array_equal(g.cpu().numpy() if kind == "tensor" else g.numpy(), e.numpy())


def test_every_public_kernel_is_wrapped():
    public = [n for n in K.__all__ if callable(getattr(K, n)) and not n.endswith("_reference")
              and n != "NormOutput"]
    assert sorted(n for n in public if not hasattr(getattr(K, n), "__wrapped_kernel__")) == []
    assert set(ENTRY_POINTS) == set(public) - {"attention_dropout_mask"}  # that one takes no arrays


def test_out_tensor_comes_back_itself(rng):
    x = tritorch.from_numpy(_f32(rng, 3, 11)).cuda()
    out = tritorch.empty(3, 11, device="cuda")
    assert K.softmax(x, out=out) is out
    np.testing.assert_allclose(out.cpu().numpy().sum(-1), 1.0, rtol=1e-5)


def test_cpu_tensor_is_refused_in_one_line(rng):
    with pytest.raises(TypeError, match=r"^b: expected a CUDA array, got a cpu tensor \(shape \[7, 3\], "
                                        r"tritorch.float32\); move it with .cuda\(\)$"):
        K.matmul(tritorch.randn(5, 7, device="cuda"), tritorch.randn(7, 3))
    with pytest.raises(TypeError, match="weight: a numpy array .* lives on the host; copy it with tritorch.cuda"):
        K.layer_norm(cuda.to_device(_f32(rng, 2, 3)), (3,), np.ones(3, np.float32))


def test_numpy_inputs_still_run_the_twin(rng):
    a, b = _f32(rng, 3, 4), _f32(rng, 4, 5)
    result = K.matmul(a, b)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, a @ b, rtol=1e-5)


def test_foreign_library_with_from_dlpack_gets_its_own_kind_back(rng):
    torch = pytest.importorskip("torch")  # on the emulated device a CPU torch tensor is host memory
    a, b = _f32(rng, 5, 7), _f32(rng, 7, 3)
    result = K.matmul(torch.from_numpy(a), torch.from_numpy(b))
    assert isinstance(result, torch.Tensor)
    np.testing.assert_allclose(result.numpy(), a @ b, rtol=1e-5)
