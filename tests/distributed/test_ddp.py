"""DistributedDataParallel: the same weights as one process on the whole batch, gradients reduced
in buckets that start during backward, no_sync accumulation, and one-process use without MPI."""
import json

import numpy as np
import pytest

import tritorch as torch
import tritorch.distributed as dist
from tritorch.nn.parallel import DistributedDataParallel as DDP

from _mpi import run_mpi, worker
from workers import ddp_equivalence as eq


@pytest.mark.parametrize("kind,accumulate", [("mlp", 1), ("transformer", 1), ("mlp", 3)])
def test_two_ranks_match_one_process_on_the_double_batch(kind, accumulate):
    out = run_mpi([worker("ddp_equivalence.py"), kind, str(accumulate)]).stdout
    got = json.loads(out.strip().splitlines()[-1])
    want = eq.reference(kind, world=2, per_rank=3, accumulate=accumulate)
    for g, w in zip(got["params"], want):
        np.testing.assert_allclose(np.array(g), np.array(w), rtol=1e-4, atol=1e-5)
    # several buckets per backward, and the first started while backward still had gradients to compute
    assert got["launches"] >= 2 * 5
    assert got["overlapped_backwards"] == 5


@pytest.fixture
def world_of_one(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK"):
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group("gloo")
    yield
    dist.destroy_process_group()


def test_a_single_process_group_needs_no_mpi_and_changes_nothing(world_of_one):
    assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size()) == (True, 0, 1)
    t = torch.tensor([1.0, 2.0])
    dist.all_reduce(t)
    dist.broadcast(t, src=0)
    assert t.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("gloo")


def test_ddp_on_one_process_trains_like_the_module(world_of_one):
    plain = eq.train("mlp", 1, 0, 6)
    wrapped = eq.train("mlp", 1, 0, 6, wrap=DDP)
    for a, b in zip(plain, wrapped):
        np.testing.assert_array_equal(np.array(a), np.array(b))


def test_ddp_state_dict_keys_and_module(world_of_one):
    m = torch.nn.Linear(3, 2)
    ddp = DDP(m)
    assert ddp.module is m
    assert list(ddp.state_dict()) == ["module.weight", "module.bias"]


def test_an_unused_parameter_is_reported_at_the_next_forward(world_of_one):
    class TwoHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.a(x)
    ddp = DDP(TwoHeads(), bucket_cap_mb=1e-6)
    ddp(torch.ones(2, 3)).sum().backward()
    with pytest.raises(RuntimeError, match="find_unused_parameters=True"):
        ddp(torch.ones(2, 3))
    ok = DDP(TwoHeads(), find_unused_parameters=True)
    for _ in range(2):
        ok(torch.ones(2, 3)).sum().backward()
    assert ok.module.b.weight.grad is None and ok.module.a.weight.grad is not None


def test_collectives_before_init_say_so():
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(torch.ones(1))


def test_post_accumulate_grad_hook_runs_after_the_grad_is_added():
    w = torch.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[2.0] * 3, [5.0] * 3]
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_mismatched_sizes_name_both_tensors(world_of_one):
    with pytest.raises(ValueError, match=r"output of 3 elements, expected world_size \(1\) x input \(2\)"):
        dist.all_gather_into_tensor(torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match=r"input of 3 elements, expected world_size \(1\) x output \(2\)"):
        dist.reduce_scatter_tensor(torch.zeros(2), torch.zeros(3))
