"""torch.distributed's systems tritorch does not implement (RPC, FSDP, DTensor / tensor parallel,
distributed checkpoint and autograd, ...): importable, isinstance-safe, and every use raises
NotImplementedError naming the feature and what to use instead, never silently doing nothing."""
import importlib

import pytest

import tritorch as torch

CALLS = [
    ("rpc", lambda m: m.init_rpc("worker0", rank=0, world_size=1), "torch.distributed.rpc"),
    ("rpc", lambda m: m.rpc_sync("worker1", max, args=(1, 2)), "torch.distributed.rpc"),
    ("rpc", lambda m: m.rpc_async("worker1", max, args=(1, 2)), "torch.distributed.rpc"),
    ("rpc", lambda m: m.remote("worker1", max, args=(1, 2)), "torch.distributed.rpc"),
    ("rpc", lambda m: m.shutdown(), "torch.distributed.rpc"),
    ("rpc", lambda m: m.get_worker_info(), "torch.distributed.rpc"),
    ("rpc", lambda m: m.RRef(1), "torch.distributed.rpc"),
    ("rpc", lambda m: m.TensorPipeRpcBackendOptions(num_worker_threads=4, rpc_timeout=10), "rpc"),
    ("rpc.functions", lambda m: m.async_execution(max), "torch.distributed.rpc"),
    ("fsdp", lambda m: m.FullyShardedDataParallel(torch.nn.Linear(2, 2)), "DistributedDataParallel"),
    ("fsdp", lambda m: m.FullyShardedDataParallel.state_dict_type(None, m.StateDictType.FULL_STATE_DICT), "FSDP"),
    ("fsdp", lambda m: m.fully_shard(torch.nn.Linear(2, 2)), "DistributedDataParallel"),
    ("fsdp", lambda m: m.FSDPModule(), "FSDP"),
    ("fsdp.wrap", lambda m: m.transformer_auto_wrap_policy(), "FSDP"),
    ("tensor", lambda m: m.distribute_tensor(torch.zeros(2), None, None), "DTensor"),
    ("tensor", lambda m: m.Shard(0), "DTensor"),
    ("_tensor", lambda m: m.Replicate(), "DTensor"),
    ("tensor.device_mesh", lambda m: m.init_device_mesh("cuda", (2,)), "DeviceMesh"),
    ("device_mesh", lambda m: m.init_device_mesh("cpu", (1,), mesh_dim_names=("dp",)), "DeviceMesh"),
    ("tensor.parallel", lambda m: m.ColwiseParallel(use_local_output=False), "tensor parallelism"),
    ("tensor.parallel", lambda m: m.parallelize_module(torch.nn.Linear(2, 2), None, {}), "tensor parallelism"),
    ("checkpoint", lambda m: m.save_state_dict({}, storage_writer=None), "tritorch.save"),
    ("checkpoint", lambda m: m.FileSystemReader("ckpt"), "tritorch.load"),
    ("checkpoint.state_dict", lambda m: m.get_model_state_dict(torch.nn.Linear(2, 2)), "model.state_dict()"),
    ("checkpoint.default_planner", lambda m: m.DefaultSavePlanner(), "checkpoint"),
    ("autograd", lambda m: m.context(), "distributed autograd"),
    ("autograd", lambda m: m.backward(0, []), "distributed autograd"),
    ("optim", lambda m: m.DistributedOptimizer(None, [], lr=0.1), "DistributedDataParallel"),
    ("nn", lambda m: m.RemoteModule("worker1/cpu", torch.nn.Linear, args=(2, 2)), "RemoteModule"),
    ("algorithms._checkpoint.checkpoint_wrapper", lambda m: m.checkpoint_wrapper(torch.nn.Linear(2, 2)),
     "activation checkpointing"),
]


@pytest.mark.parametrize("sub, call, says", CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_every_use_raises_a_clear_error(sub, call, says):
    module = importlib.import_module(f"tritorch.distributed.{sub}")
    with pytest.raises(NotImplementedError, match="tritorch does not implement") as err:
        call(module)
    assert says in str(err.value)
    assert str(err.value).startswith("tritorch.distributed.")


def test_isinstance_checks_and_value_records_work():
    from tritorch.distributed.checkpoint.state_dict import StateDictOptions
    from tritorch.distributed.fsdp import FullyShardedDataParallel, MixedPrecision, ShardingStrategy, StateDictType
    from tritorch.distributed.tensor import DTensor
    model = torch.nn.Linear(2, 2)
    assert not isinstance(model, FullyShardedDataParallel) and not isinstance(model.weight, DTensor)
    mp = MixedPrecision(param_dtype=torch.bfloat16, reduce_dtype=torch.float32, buffer_dtype=torch.float32)
    assert mp.param_dtype is torch.bfloat16
    assert StateDictType.FULL_STATE_DICT is not StateDictType.SHARDED_STATE_DICT
    assert ShardingStrategy.FULL_SHARD.name == "FULL_SHARD"
    assert StateDictOptions(full_state_dict=True, cpu_offload=True).full_state_dict
    from tritorch.distributed.fsdp.fully_sharded_data_parallel import StateDictType as same
    assert same is StateDictType


def test_importing_them_never_needs_an_engine():
    """`from torch.distributed.fsdp import ...` at the top of a single-process program must not fail."""
    for sub in ("rpc", "rpc.api", "fsdp", "fsdp.wrap", "tensor", "tensor.parallel", "_tensor", "checkpoint",
                "checkpoint.state_dict", "autograd", "optim", "nn", "device_mesh"):
        importlib.import_module(f"tritorch.distributed.{sub}")
