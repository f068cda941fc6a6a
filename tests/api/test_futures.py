"""torch.futures.Future / wait_all / collect_all: synchronous, as PyTorch's on one thread."""
import pytest

import tritorch as torch


def test_set_result_wait_then_and_wait_all():
    f = torch.futures.Future()
    assert not f.done()
    chained = f.then(lambda fut: fut.wait() * 2)
    f.set_result(21)
    assert f.done() and f.wait() == 21 and f.value() == 21 and chained.wait() == 42
    g = torch.futures.Future()
    g.set_result("x")
    assert torch.futures.wait_all([f, g]) == [21, "x"]
    assert torch.futures.collect_all([f, g]).wait() == [f, g]


def test_errors_completing_twice_and_waiting_forever():
    f = torch.futures.Future()
    with pytest.raises(RuntimeError, match="not completed"):
        f.wait()
    f.set_exception(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        f.wait()
    with pytest.raises(RuntimeError, match="only be marked completed once"):
        f.set_result(1)
    bad = torch.futures.Future()
    after = bad.then(lambda fut: fut.wait())
    bad.set_exception(KeyError("k"))
    with pytest.raises(KeyError):
        after.wait()


def test_matches_pytorch():
    pt = pytest.importorskip("torch")
    for lib in (pt, torch):
        f = lib.futures.Future()
        out = f.then(lambda fut: fut.wait() + 1)
        f.set_result(1)
        assert out.wait() == 2 and lib.futures.wait_all([f, out]) == [1, 2]
