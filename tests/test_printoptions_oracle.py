"""Oracle: torch.set_printoptions / get_printoptions change repr(tensor) exactly as in PyTorch."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")

OPTIONS = [dict(precision=2), dict(precision=7), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
           dict(threshold=5, edgeitems=1), dict(linewidth=30), dict(profile="short"), dict(profile="full"),
           dict(profile="short", precision=6)]


@pytest.fixture
def restore():
    yield
    tritorch.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_repr_follows_print_options(kw, restore, rng):
    tritorch.set_printoptions(**kw)
    torch.set_printoptions(**kw)
    theirs = torch._tensor_str.PRINT_OPTS
    assert tritorch.get_printoptions() == {k: getattr(theirs, k) for k in tritorch.get_printoptions()}
    arrays = [rng.standard_normal((4, 6)) * 10, np.array([1.5e-5, 3.0, 2e4]), rng.standard_normal(2000),
              rng.integers(-5, 5, (3, 40)).astype(np.float64), rng.standard_normal((3, 4, 5)).astype(np.float32)]
    for a in arrays + [rng.integers(-50, 50, 3000)]:
        a = a.astype(np.float32) if a.dtype == np.float64 else a  # default dtype: no dtype suffix to differ
        assert repr(tritorch.tensor(a)) == repr(torch.tensor(a))


def test_bad_profile(restore):
    with pytest.raises(ValueError):
        tritorch.set_printoptions(profile="tiny")
