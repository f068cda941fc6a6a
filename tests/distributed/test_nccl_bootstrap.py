"""The NCCL engine without a GPU: a recording stand-in for nccl4py's bindings checks the unique-id
exchange, the arguments of each call (pointers, counts, dtype and op codes, the current stream) and
the point-to-point grouping. Real NCCL never runs here (there is no GPU): see nccl.py's docstring."""
import datetime
import enum
import threading

import pytest

import tritorch as torch
from tritorch.distributed.nccl import NCCLEngine, exchange_unique_id


class FakeBindings:
    class DataType(enum.IntEnum):
        INT8, UINT8, INT32, INT64, FLOAT16, FLOAT32, FLOAT64, BFLOAT16 = 0, 1, 2, 4, 6, 7, 8, 9

    class RedOp(enum.IntEnum):
        SUM, PROD, MAX, MIN, AVG = 0, 1, 2, 3, 4

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def record(*args):
            self.calls.append((name, args))
        return record


def test_unique_id_travels_through_a_file_rendezvous(tmp_path):
    timeout = datetime.timedelta(seconds=600)  # only a hang guard: rank 0 writes at once
    got = {}

    def rank(r):
        got[r] = exchange_unique_id(r, lambda: b"\x07" * 128, None, f"file://{tmp_path}/rdv", timeout)
    threads = [threading.Thread(target=rank, args=(r,)) for r in (1, 0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {0: b"\x07" * 128, 1: b"\x07" * 128}


def test_unique_id_over_mpi_uses_rank_zeros_id():
    class Host:
        name = "mpi"

        def bcast_object(self, obj, src):
            assert src == 0
            return b"from-rank-0"
    assert exchange_unique_id(1, lambda: pytest.fail("only rank 0 makes the id"), Host(), None, None) == b"from-rank-0"


def test_without_mpi_or_a_file_the_error_says_what_to_do():
    with pytest.raises(RuntimeError, match="file:///"):
        exchange_unique_id(0, lambda: b"", None, "env://", datetime.timedelta(seconds=1))


def test_calls_carry_pointers_counts_dtypes_ops_and_the_stream():
    fake = FakeBindings()
    engine = NCCLEngine(fake, comm="COMM", rank=1, size=2)
    x = torch.ones(3, 4, dtype=torch.bfloat16, device="cuda")
    buf = engine.stage(x, reducing=True)
    engine.allreduce(buf, "avg")
    name, args = fake.calls[-1]
    assert name == "all_reduce"
    assert args[:5] == (x.data_ptr(), x.data_ptr(), 12, FakeBindings.DataType.BFLOAT16, FakeBindings.RedOp.AVG)
    assert args[5] == "COMM" and args[6] == torch.cuda.current_stream().handle
    engine.broadcast(engine.stage(torch.zeros(5, dtype=torch.int64, device="cuda"), False), 0)
    assert fake.calls[-1][0] == "broadcast" and fake.calls[-1][1][2:5] == (5, FakeBindings.DataType.INT64, 0)
    with pytest.raises(ValueError, match="BAND"):
        engine.allreduce(buf, "band")


def test_gather_on_a_non_root_is_one_grouped_send():
    fake = FakeBindings()
    engine = NCCLEngine(fake, comm="C", rank=1, size=2)
    send = torch.ones(4, device="cuda")
    engine.gather(send, engine.alloc((2, 4), send), dst=0)
    assert [c[0] for c in fake.calls] == ["group_start", "send", "group_end"]
    assert fake.calls[1][1][:4] == (send.data_ptr(), 4, FakeBindings.DataType.FLOAT32, 0)


def test_cpu_tensors_are_refused_by_the_nccl_engine():
    engine = NCCLEngine(FakeBindings(), comm="C", rank=0, size=1)
    with pytest.raises(RuntimeError, match="cuda tensors"):
        engine.stage(torch.ones(2), reducing=True)


def test_missing_nccl4py_is_one_line(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "nccl", None)
    from tritorch.distributed.nccl import import_nccl
    with pytest.raises(RuntimeError, match="pip install nccl4py"):
        import_nccl()


def test_world_size_without_an_mpi_job_says_how_to_launch(monkeypatch):
    pytest.importorskip("mpi4py")
    import tritorch.distributed as dist
    for name in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(RuntimeError, match="tritorch run -n 2"):
        dist.init_process_group("gloo")
    assert not dist.is_initialized()


def test_default_backend_for_each_device():
    import tritorch.distributed as dist
    assert dist.get_default_backend_for_device("cuda:1") == "nccl"
    assert dist.get_default_backend_for_device(torch.device("cpu")) == "gloo"
    with pytest.raises(ValueError, match="Default backend not registered"):
        dist.get_default_backend_for_device("meta")
