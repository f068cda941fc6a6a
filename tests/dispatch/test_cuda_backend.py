"""The cuda backend against the CPU backend, through the Tensor API, on the emulated device
(TRITON_INTERPRET=1): every primitive on small odd shapes, non-contiguous inputs, broadcasting
and the dtypes that matter (tests/dispatch/test_cuda_tensor.py covers devices, randoms, autograd)."""
import importlib

import numpy as np
import pytest

import tritorch as torch
from tritorch._dispatch import cpu as C
from tritorch._dispatch import cuda as B

from cuda_cases import FLOATS, TOL, assert_same, count_copies, host, pair

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the CPU oracle on NaN/inf inputs


@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_ops_on_transposed_inputs(dtype):
    x, g = pair(3, 5, 7, dtype=dtype)
    x, g = x.transpose(0, 2), g.transpose(0, 2)
    assert not g.is_contiguous()
    for op in ["exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "abs", "neg", "sign", "sin",
               "cos", "tan", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round", "trunc", "reciprocal",
               "isnan", "isinf", "isfinite", "logical_not", "asin", "acos", "atan", "sinh", "cosh", "square"]:
        tol = TOL[dtype] * (1e3 if op in ("tan", "erf") and dtype is torch.float64 else 1)
        assert_same(getattr(g, op)(), getattr(x, op)(), tol)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_ops_broadcast_and_scalars(dtype):
    x, g = pair(3, 5, 7, dtype=dtype)
    y, h = pair(5, 1, dtype=dtype, special=False)
    for op in ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum", "atan2",
               "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]:
        assert_same(getattr(torch, op)(g, h), getattr(torch, op)(x, y), TOL[dtype] * 10)
    for s in (2, 0.5, -1.5):
        assert_same(g * s, x * s, TOL[dtype])
        assert_same(s - g, s - x, TOL[dtype])
        assert_same(g ** s, x ** s, TOL[dtype] * 10)
        assert_same(s / h, s / y, TOL[dtype])


def test_integer_and_bool_ops_are_exact():
    a = torch.randint(-20, 20, (3, 5, 7))
    b = torch.randint(1, 6, (5, 1)) * torch.tensor([[1], [-1], [1], [-1], [1]])
    ga, gb = a.cuda(), b.cuda()
    for op in ["add", "sub", "mul", "floor_divide", "remainder", "fmod", "maximum", "minimum", "bitwise_and",
               "bitwise_or", "bitwise_xor", "eq", "lt", "div"]:
        assert_same(getattr(torch, op)(ga, gb), getattr(torch, op)(a, b), 1e-6)
    assert_same(ga ** 3, a ** 3)
    assert_same(ga.pow(gb.abs()), a.pow(b.abs()))
    assert_same(ga.abs(), a.abs())
    assert_same(-ga, -a)
    assert_same(ga.sign(), a.sign())
    assert_same(~ga, ~a)
    m, n = a > 0, b < 0
    assert_same(m.cuda() & n.cuda(), m & n)
    assert_same(~m.cuda(), ~m)
    assert_same(m.cuda() + n.cuda(), m + n)  # bool + bool stays bool (logical or)
    assert_same(ga + 1.5, a + 1.5, 1e-6)  # int tensor + float scalar promotes
    assert_same(ga.exp(), a.exp(), 1e-6)  # int input to a float op: the default float dtype


def test_casts_round_like_numpy():
    x, g = pair(4, 9, dtype=torch.float64, scale=100.0)
    for dtype in [torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.uint8, torch.bool]:
        finite = x.isfinite()
        assert_same(g[finite.cuda()].to(dtype), x[finite].to(dtype))
    halfway = torch.tensor([1.01171875, 1.00390625 * 1.0001, -3.0e-3, 65504.0])  # bfloat16 rounding cases
    assert_same(halfway.cuda().bfloat16(), halfway.bfloat16())
    assert_same(halfway.cuda().half().bfloat16(), halfway.half().bfloat16())
    assert_same(torch.tensor([True, False]).cuda().float(), torch.tensor([1.0, 0.0]))


def test_where_clamp_masked_fill_nan_to_num():
    x, g = pair(3, 5, 7)
    y, h = pair(5, 7, special=False)
    assert_same(torch.where(g > 0, g, h), torch.where(x > 0, x, y))
    assert_same(torch.where(g > 0, 1.0, h), torch.where(x > 0, 1.0, y))
    assert_same(g.clamp(-0.5, 0.7), x.clamp(-0.5, 0.7))
    assert_same(g.clamp(min=0.1), x.clamp(min=0.1))
    assert_same(g.clamp(max=h), x.clamp(max=y))
    assert_same(g.masked_fill(h > 1, -2.0), x.masked_fill(y > 1, -2.0))
    assert_same(g.nan_to_num(), x.nan_to_num())
    i = torch.randint(-9, 9, (4, 6))
    assert_same(i.cuda().clamp(-3, 4), i.clamp(-3, 4))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_reductions_over_any_dims(dtype):
    x, g = pair(3, 5, 7, dtype=dtype, special=False)
    x, g = x.permute(2, 0, 1), g.permute(2, 0, 1)
    for dims in [None, 0, 1, 2, (0, 2), (1, 2), (0, 1, 2), -1]:
        for keep in (False, True):
            if dims is None and keep:
                continue
            kw = {} if dims is None else dict(dim=dims, keepdim=keep)
            assert_same(g.sum(**kw), x.sum(**kw), TOL[dtype] * 10)
            assert_same(g.mean(**kw), x.mean(**kw), TOL[dtype] * 10)
            assert_same(g.amax(**kw) if dims is not None else g.max(), x.amax(**kw) if dims is not None else x.max())
            assert_same(g.amin(**kw) if dims is not None else g.min(), x.amin(**kw) if dims is not None else x.min())
            assert_same((g > 0).all(**kw), (x > 0).all(**kw))
            assert_same((g > 0).any(**kw), (x > 0).any(**kw))
    assert_same((g / 4).prod(1), (x / 4).prod(1), TOL[dtype] * 10)
    assert_same(g.count_nonzero((0, 2)), x.count_nonzero((0, 2)))
    assert_same(g.norm(), x.norm(), TOL[dtype] * 10)


def test_reduction_edge_cases_and_column_splits():
    x, g = pair(3, 5, 7)
    assert_same(g.max(2).values, x.max(2).values)                    # NaN wins in the rows holding one
    i = torch.randint(-5, 5, (4, 6))
    assert_same(i.cuda().sum(0), i.sum(0))
    assert_same(i.cuda().sum(), i.sum())
    assert_same(i.cuda().amax(1), i.amax(1))
    e = torch.zeros(0, 3)
    assert_same(e.cuda().sum(0), e.sum(0))
    assert_same(e.cuda().prod(0), e.prod(0))
    from tritorch.kernels.reduce import reduce
    a = np.random.default_rng(0).standard_normal((3, 37))
    a[1, 30] = np.nan
    d = torch.tensor(a).cuda()._data
    for op, fn in [("sum", np.sum), ("amax", np.max), ("mean", np.mean), ("prod", np.prod)]:
        got = reduce(op, d, (1,), np.float64, block_c=4, splits=3).numpy()   # three partial launches + one
        np.testing.assert_allclose(got, fn(a, axis=1), rtol=1e-12)
    got = reduce("count_nonzero", d, (0, 1), np.int64, block_c=2, splits=5).numpy()
    assert got == np.count_nonzero(a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_arg_reductions_var_logsumexp_scans(dtype):
    x, g = pair(3, 5, 7, dtype=dtype)
    t = torch.tensor([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0], [-float("inf")] * 4]).to(dtype)
    for a, b in [(g, x), (t.cuda(), t)]:
        for dim in [None, 0, 1, -1]:
            if dim is not None and dim >= a.dim():
                continue
            assert_same(a.argmax(dim), b.argmax(dim))
            assert_same(a.argmin(dim), b.argmin(dim))
    y, h = pair(3, 5, 7, dtype=dtype, special=False)
    assert_same(h.argmax(1, keepdim=True), y.argmax(1, keepdim=True))
    values, idx = h.max(1)
    assert_same(idx, y.max(1).indices)
    assert_same(values, y.max(1).values)
    assert_same(h.var(1), y.var(1), TOL[dtype] * 10)
    assert_same(h.var((0, 2), correction=0), y.var((0, 2), correction=0), TOL[dtype] * 10)
    assert_same(h.std(), y.std(), TOL[dtype] * 10)
    assert_same(torch.Tensor._make(B.var(h._data, (1,), 1, False), h.device),   # the backend's own var
                torch.Tensor._make(C.var(y._data, (1,), 1, False)), TOL[dtype] * 10)
    assert_same(g.logsumexp(2), x.logsumexp(2), TOL[dtype] * 10)
    assert_same(t.cuda().logsumexp(1), t.logsumexp(1))
    assert_same(h.transpose(0, 1).cumsum(2), y.transpose(0, 1).cumsum(2), TOL[dtype] * 10)
    assert_same(h.cumprod(0), y.cumprod(0), TOL[dtype] * 10)
    i = torch.randint(-3, 4, (2, 70))
    assert_same(i.cuda().cumsum(1), i.cumsum(1))
    from tritorch.kernels.reduce import scan
    long = np.arange(70.0).reshape(2, 35)
    np.testing.assert_array_equal(scan("cumsum", torch.tensor(long).cuda()._data, 1, block_c=8).numpy(),
                                  np.cumsum(long, 1))       # the carry across column blocks


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_softmax_and_log_softmax(dtype):
    x, g = pair(3, 5, 7, dtype=dtype, special=False)
    for dim in (0, 1, -1):
        assert_same(g.softmax(dim), x.softmax(dim), TOL[dtype] * 10)
        assert_same(g.log_softmax(dim), x.log_softmax(dim), TOL[dtype] * 10)


def test_shape_ops_and_copies():
    x, g = pair(3, 5, 7, special=False)
    xt, gt = x.transpose(1, 2), g.transpose(1, 2)
    assert_same(gt.reshape(3, 35), xt.reshape(3, 35))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        gt.view(3, 35)
    assert g.view(15, 7)._data.storage is g._data.storage and g.stride() == x.stride()
    assert_same(gt.contiguous(), xt.contiguous())
    assert gt.contiguous().is_contiguous() and gt.stride() == xt.stride()
    assert_same(g[:, None, ::2, -3:].expand(3, 4, 3, 3).clone(), x[:, None, ::2, -3:].expand(3, 4, 3, 3).clone())
    assert_same(torch.cat([g, gt.transpose(1, 2)[:, :2].double()], 1),      # mixed dtypes promote
                torch.cat([x, xt.transpose(1, 2)[:, :2].double()], 1))
    assert_same(torch.stack([g[0], g[1]], -1), torch.stack([x[0], x[1]], -1))
    assert_same(gt.flip((0, 2)), xt.flip((0, 2)))
    assert_same(g.roll((2, -1), (1, 2)), x.roll((2, -1), (1, 2)))
    assert_same(g.roll(4), x.roll(4))
    for k in (-2, 0, 3):
        assert_same(gt.tril(k), xt.tril(k))
        assert_same(g.triu(k), x.triu(k))
    assert_same(g.diagonal(1, 1, 2), x.diagonal(1, 1, 2))
    assert_same(g.diagonal(-2, 0, 1), x.diagonal(-2, 0, 1))
    assert_same(g[0].diag(), x[0].diag())
    np.testing.assert_array_equal(host(g[0, 0].diag(1)), np.diag(host(x[0, 0]), 1))  # writes through a diagonal view
    assert_same(g.repeat(1, 2, 1), x.repeat(1, 2, 1))
    p = B.pad(gt._data, ((0, 0), (1, -2), (2, 1)), 9.0)
    np.testing.assert_array_equal(p.numpy(), C.pad(xt._data, ((0, 0), (1, -2), (2, 1)), 9.0))
    s = B.as_strided(g._data, (2, 3), (7, 2), 5)
    np.testing.assert_array_equal(s.numpy(), C.as_strided(x._data, (2, 3), (7, 2), 5))


def test_in_place_writes_through_views():
    x, g = pair(4, 6, special=False)
    for t in (x, g):
        t[1:3, ::2] = 5.0
        t[:, 0] = t[:, 1]              # overlapping read and write of one storage
        t.T[2].mul_(2)
        t.add_(t[0])
    assert_same(g, x)
    z = torch.zeros(3, 4, device="cuda")
    z.copy_(torch.arange(4.0))         # from the CPU, broadcast
    assert_same(z, torch.arange(4.0).expand(3, 4).contiguous())


def test_advanced_indexing():
    x, g = pair(3, 5, 7, special=False)
    idx = torch.tensor([[0, 2], [1, 1]])
    for index in [([0, 2],), (slice(None), idx), (idx, slice(None), [1, -1]), (Ellipsis, [6, 0, 3]),
                  (1, slice(None), [2, 3]), (slice(None), [4, 0], 2), (None, [0], slice(1, 3)),
                  (x[:, 0, 0] > 0,), (x > 0.5,), (slice(None), x[0] > 0), (True,), (False, 1)]:
        gi = tuple(i.cuda() if isinstance(i, torch.Tensor) else i for i in index)
        assert_same(g[gi], x[index])
    for index, value in [((idx,), 1.5), ((slice(None), [0, 3], [1, 2]), torch.tensor([7.0, 8.0])),
                         ((x > 0,), -1.0), ((Ellipsis, [6, 6]), torch.tensor(2.0))]:
        a, b = x.clone(), g.clone()
        a[index] = value
        b[tuple(i.cuda() if isinstance(i, torch.Tensor) else i for i in index)] = \
            value.cuda() if isinstance(value, torch.Tensor) else value
        assert_same(b, a)
    rep = torch.tensor([0, 2, 0, 0])
    assert_same(g.index_put((rep.cuda(),), torch.ones(4, 5, 7, device="cuda"), accumulate=True),
                x.index_put((rep,), torch.ones(4, 5, 7), accumulate=True), 1e-6)
    assert_same(g.masked_select(g[0] > 0), x.masked_select(x[0] > 0))
    assert_same((g > 1).nonzero(), (x > 1).nonzero())
    assert_same(g[0, 0, 0].nonzero(), x[0, 0, 0].nonzero())
    assert tuple(t.device.type for t in torch.where(g > 0)) == ("cuda",) * 3


def test_gather_scatter_index_select_index_add():
    x, g = pair(3, 5, 7, special=False)
    idx = torch.randint(0, 5, (3, 4, 7))                           # gather takes no negative index (PyTorch)
    assert_same(g.gather(1, idx.cuda()), x.gather(1, idx))
    j = idx
    assert_same(g.take_along_dim(j.cuda()[:, :1], 1), x.take_along_dim(j[:, :1], 1))
    i = torch.randint(0, 7, (3, 5, 2))
    assert_same(g.scatter(2, i.cuda(), -1.0), x.scatter(2, i, -1.0))
    assert_same(torch.zeros(3, 5, 7, device="cuda").scatter_add(2, i.cuda(), g[..., :2]),
                torch.zeros(3, 5, 7).scatter_add(2, i, x[..., :2]), 1e-6)
    k = torch.tensor([4, 0, 4, 1])
    assert_same(g.index_select(1, k.cuda()), x.index_select(1, k))
    assert_same(g.index_select(2, k.int().cuda()), x.index_select(2, k.int()))
    assert_same(g.index_add(1, k.cuda(), torch.ones(3, 4, 7, device="cuda")), x.index_add(1, k, torch.ones(3, 4, 7)),
                1e-6)
    rep = torch.tensor([0, 2, 0, 0])
    for dtype, tol in [(torch.bfloat16, 2e-2), (torch.float16, 2e-3), (torch.int8, 0), (torch.bool, 0)]:
        a, v = (torch.randn(3, 5) * 4).to(dtype), (torch.randn(3, 4) * 4).to(dtype)   # accumulated widened
        assert_same(a.cuda().index_add(1, rep.cuda(), v.cuda()), a.index_add(1, rep, v), tol)
        assert_same(a.cuda().scatter_add(1, rep.expand(3, 4).cuda(), v.cuda()), a.scatter_add(1, rep.expand(3, 4), v),
                    tol)
        assert_same(a.cuda().index_put((rep.cuda(),), v.T[:, :1].cuda(), accumulate=True),
                    a.index_put((rep,), v.T[:, :1], accumulate=True), tol)
    n = torch.randint(-4, 4, (6,))
    assert_same(torch.zeros(3, dtype=torch.int64, device="cuda").index_add(0, torch.tensor([0, 2, 0, 0, 1, 2]).cuda(),
                                                                          n.cuda()),
                torch.zeros(3, dtype=torch.int64).index_add(0, torch.tensor([0, 2, 0, 0, 1, 2]), n))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64])
def test_matmul_and_einsum(dtype):
    a = (torch.randn(2, 3, 5) * 3).to(dtype)
    b = (torch.randn(5, 4) * 3).to(dtype)
    tol = 0 if dtype is torch.int64 else TOL[dtype] * 50
    ga, gb = a.cuda(), b.cuda()
    assert_same(ga @ gb, a @ b, tol)
    assert_same(ga.transpose(1, 2).transpose(1, 2) @ gb.T.T, a @ b, tol)
    assert_same(ga[0, 0] @ gb, a[0, 0] @ b, tol)                        # 1-d @ 2-d
    assert_same(ga @ gb[:, 0], a @ b[:, 0], tol)                        # batched @ 1-d
    assert_same(ga[0, 0] @ ga[1, 1], a[0, 0] @ a[1, 1], tol)            # dot
    assert_same(ga[:1] @ ga.transpose(1, 2), a[:1] @ a.transpose(1, 2), tol)  # broadcast batch
    if dtype.is_floating_point:
        assert_same(torch.einsum("bij,jk->bki", ga, gb), torch.einsum("bij,jk->bki", a, b), tol)
        assert_same(torch.einsum("bij,bkj->b", ga, ga), torch.einsum("bij,bkj->b", a, a), tol * 10)
        sq = ga[0, :, :3]
        assert_same(torch.einsum("ii->", sq), torch.einsum("ii->", a[0, :, :3]), tol)
        assert_same(torch.einsum("ij,jk,kl->il", gb.T, gb, gb.T), torch.einsum("ij,jk,kl->il", b.T, b, b.T), tol * 10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int32, torch.float64])
def test_sort_topk_argsort(dtype, monkeypatch):
    x = torch.tensor([[3.0, -1.0, float("nan"), 0.0, -0.0, 2.0, -float("inf"), 3.0, 1.0],
                      [1.0, 1.0, 1.0, -2.0, 5.0, 5.0, 0.5, -0.0, 0.0],
                      [2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 7.0, -3.0, 2.0]])
    x = x.nan_to_num(4.0, 9.0, -9.0) if not dtype.is_floating_point else x
    x = x.to(dtype)
    g = x.cuda()
    copies = count_copies(monkeypatch)
    results = [(g.sort(1), x.sort(1)), (g.sort(0, descending=True), x.sort(0, descending=True)),
               (g.T.sort(1, descending=True), x.T.sort(1, descending=True)),     # strided rows
               (g.topk(4, 1), x.topk(4, 1)), (g.topk(2, 0, largest=False), x.topk(2, 0, largest=False))]
    assert "dtoh" not in copies                                 # every dtype sorts on the device
    for (gv, gi), (cv, ci) in results:
        assert_same(gv, cv)
        assert_same(gi, ci)                                    # stable: ties keep their order
    assert_same(g.argsort(1), x.argsort(1))
    i = torch.randint(0, 4, (9,))
    assert_same(i.cuda().unique(), i.unique())


@pytest.mark.parametrize("family", ["creation", "elementwise", "reduce", "shape", "indexing", "linalg"])
def test_every_core_cpu_primitive_has_a_cuda_twin(family):
    cpu = importlib.import_module(f"tritorch._dispatch.cpu.{family}")
    gpu = importlib.import_module(f"tritorch._dispatch.cuda.{family}")
    assert sorted(cpu.__all__) == sorted(gpu.__all__)
    for name in cpu.__all__:
        assert callable(getattr(B, name)), name


def test_a_primitive_missing_on_cuda_says_so(monkeypatch):
    monkeypatch.setattr(C, "fancy_op", lambda a: a, raising=False)
    with pytest.raises(RuntimeError, match="fancy_op is not supported on cuda yet"):
        B.fancy_op(torch.ones(2, device="cuda")._data)
    assert not hasattr(B, "fancy_op") and not hasattr(B, "no_such_thing_anywhere")


def test_sort_topk_of_long_rows_and_64_bit_dtypes_stay_on_the_device(rng, monkeypatch):
    x = torch.tensor(rng.integers(-30, 30, (2, 4500)).astype(np.float64) / 4)    # many ties
    x[0, ::97] = float("nan")
    i64 = torch.tensor(rng.integers(-2**62, 2**62, (3, 70)) * np.array([1, 1, 0])[:, None])  # a row of ties
    pairs = [(a, a.cuda()) for a in (x, i64)]
    copies = count_copies(monkeypatch)
    got = [(g.sort(1), g.topk(5, 1), g.T.sort(0, descending=True)) for _, g in pairs]
    assert "dtoh" not in copies
    want = [(c.sort(1), c.topk(5, 1), c.T.sort(0, descending=True)) for c, _ in pairs]
    for gs, cs in zip(got, want):
        for (gv, gi), (cv, ci) in zip(gs, cs):
            assert_same(gv, cv)
            assert_same(gi, ci)


def test_randperm_is_a_seeded_device_permutation(monkeypatch):
    copies = count_copies(monkeypatch)
    torch.manual_seed(11)
    perms = {n: torch.randperm(n, device="cuda") for n in (0, 1, 5, 5000)}
    again = torch.randperm(5000, device="cuda")                         # the stream moved on
    assert copies == []                                                  # drawn and sorted on the device
    for n, p in perms.items():
        assert p.dtype is torch.int64 and p.shape == (n,)
        np.testing.assert_array_equal(np.sort(host(p)), np.arange(n))
    p = host(perms[5000])
    assert (p == np.arange(5000)).sum() < 10 and not np.array_equal(p, host(again))
    assert abs(np.corrcoef(p, np.arange(5000))[0, 1]) < 0.1
    torch.manual_seed(11)
    assert_same(torch.randperm(1, device="cuda"), perms[1])
    torch.randperm(5, device="cuda")
    assert_same(torch.randperm(5000, device="cuda"), perms[5000])       # same seed, same draws
    gen = torch.Generator().manual_seed(12)
    other = torch.randperm(5000, device="cuda", generator=gen)
    assert not torch.equal(other.cpu(), perms[5000].cpu())
    gen.manual_seed(12)
    assert_same(torch.randperm(5000, device="cuda", generator=gen), other)
    small = torch.randperm(300, device="cuda", dtype=torch.int16)
    assert small.dtype is torch.int16 and sorted(host(small).tolist()) == list(range(300))


def test_randperm_of_70000_through_11_merge_passes_is_a_permutation():
    p = host(torch.randperm(70000, device="cuda"))
    np.testing.assert_array_equal(np.sort(p), np.arange(70000))
    assert (p == np.arange(70000)).sum() < 10


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32, torch.bfloat16, torch.bool])
def test_unique_values_inverse_and_counts(rng, dtype):
    x = torch.tensor(rng.integers(-6, 6, (7, 13)) / 2)
    if dtype.is_floating_point:
        x[rng.random((7, 13)) < 0.1] = float("nan")
        x[rng.random((7, 13)) < 0.1] = -0.0
    x = x.to(dtype)
    g = x.cuda()
    for arr in (x, x.T, x[:, 0], x[2, 3]):                 # 2-D, transposed, strided, 0-d
        values, inverse, counts = arr.cuda().unique(return_inverse=True, return_counts=True)
        ref = np.unique(host(arr).astype(np.float64) if dtype is torch.bfloat16 else host(arr),
                        return_inverse=True, return_counts=True, equal_nan=False)  # each NaN apart, as PyTorch
        np.testing.assert_array_equal(host(values), ref[0])
        np.testing.assert_array_equal(host(values)[host(inverse)], host(arr))   # which NaN is which: any order
        finite = ~np.isnan(host(arr).astype(np.float64))
        np.testing.assert_array_equal(host(inverse)[finite], ref[1].reshape(arr.shape)[finite])
        np.testing.assert_array_equal(host(counts), ref[2])
        assert values.dtype is dtype and inverse.dtype is counts.dtype is torch.int64
    assert_same(g.unique(), x.unique())                                 # cuda and the CPU backend agree
    assert_same(g[:0].unique(return_counts=True)[1], x[:0].unique(return_counts=True)[1])
    if dtype is torch.int64:                                            # dim=: the host path still answers
        for gv, cv in zip(g.unique(dim=1, return_inverse=True), x.unique(dim=1, return_inverse=True)):
            assert_same(gv, cv)


def test_unique_reads_one_count_from_the_device(monkeypatch):
    g = torch.tensor([3, 1, 3, 3, 0, 1]).cuda()
    copies = count_copies(monkeypatch)
    values, counts = g.unique(return_counts=True)
    assert copies == ["dtoh"]
    assert host(values).tolist() == [0, 1, 3] and host(counts).tolist() == [1, 2, 3]


def test_index_add_is_atomics_free_and_exact(rng, monkeypatch):
    a = torch.tensor(rng.normal(size=(4, 150, 3)).astype(np.float32))
    src = torch.tensor((rng.normal(size=(4, 900, 3)) * 10.0 ** rng.integers(-3, 4, (4, 900, 1))).astype(np.float32))
    idx = torch.tensor(rng.integers(0, 140, 900))              # the last 10 slots stay as a (no negatives: PyTorch)
    idx[rng.random(900) < 0.3] = 7
    from tritorch.kernels import indexing
    monkeypatch.setattr(indexing, "scatter", None)            # the atomic scatter kernel is not used
    runs = [a.cuda().index_add(1, idx.cuda(), src.cuda()) for _ in range(2)]
    assert torch.equal(runs[0].cpu(), runs[1].cpu())
    assert_same(runs[0], a.index_add(1, idx, src))              # exact: the CPU's sequential order
    src_t = src.permute(2, 1, 0)                                # strided a and src
    assert_same(a.T.cuda().index_add(1, idx.cuda(), src_t.cuda()), a.T.index_add(1, idx, src_t))
