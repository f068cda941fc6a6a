"""An optimizer step reads .grad and never writes it (the CPU steps use the gradient array itself
when there is no weight decay or maximize)."""
import numpy as np
import pytest

import tritorch as torch

_OPTIMIZERS = [
    (torch.optim.SGD, dict(lr=0.1)), (torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)), (torch.optim.Adam, dict(lr=0.1)),
    (torch.optim.AdamW, dict(lr=0.1)), (torch.optim.RMSprop, dict(lr=0.1)), (torch.optim.Adagrad, dict(lr=0.1)),
    (torch.optim.RMSprop, dict(lr=0.1, centered=True, momentum=0.5)),
]


@pytest.mark.parametrize("opt_cls,kwargs", _OPTIMIZERS)
def test_step_does_not_change_the_gradient(opt_cls, kwargs):
    p = torch.nn.Parameter(torch.randn(4, 3))
    opt = opt_cls([p], **kwargs)
    for _ in range(2):
        p.grad = torch.randn(4, 3)
        before = p.grad.numpy().copy()
        opt.step()
        np.testing.assert_array_equal(p.grad.numpy(), before)
