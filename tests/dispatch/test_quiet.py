"""The CPU backend computes without numpy's floating-point warnings (PyTorch never warns for inf or
NaN results) and leaves the caller's numpy error state exactly as it was."""
import warnings

import numpy as np

import tritorch as torch
from tritorch._dispatch.cpu._quiet import quiet


def test_overflow_and_invalid_are_silent_and_give_ieee_results():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = torch.tensor([1e38, 0.0, -1.0])
        assert torch.isinf((big * 10)[0])
        assert torch.isnan((big / big)[1])
        assert torch.isnan(big.sqrt()[2])
        assert torch.isinf(big.exp()[0])


def test_callers_numpy_error_state_is_untouched():
    before = np.geterr()
    with np.errstate(over="raise"):
        torch.tensor([1e38]) * 10  # tritorch's own op is quiet ...
        try:
            np.float32(1e38) * np.float32(10)  # ... and the caller's "raise" still holds after it
        except FloatingPointError:
            pass
        else:
            raise AssertionError("the caller's np.errstate(over='raise') was lost")
    assert np.geterr() == before


def test_quiet_restores_state_when_the_call_raises():
    before = np.geterr()
    try:
        quiet(np.add, np.ones(2), np.ones(3))
    except ValueError:
        pass
    assert np.geterr() == before
