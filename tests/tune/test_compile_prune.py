"""The tuner prunes candidates by their compiled kernels' real resources: never timed, never cached."""
import fake_tunables
import pytest

from tritorch.kernels import _cache
from tritorch.tune import Sweep, run_sweep
from tritorch.tune.compiled import misfit


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITORCH_CACHE_DIR", str(tmp_path / "cache"))
    fake_tunables.CALLS.clear()


def record(shared, registers=64, warps=4, status="ok"):
    return dict(kernel="_k", status=status, shared=shared, registers=registers, spills=0, num_warps=warps,
                num_stages=2, hash="h", error="" if status == "ok" else "PassManager::run failed")


class FakeCompiler:
    """Compiled resources by MODE: 1 fits; 7 needs 247,808 B of shared memory; 6 does not compile."""

    def __init__(self):
        self.asked = []

    def records(self, name, shape, dtype, config, capability):
        self.asked.append((config["MODE"], tuple(capability)))
        return [{1: record(1024), 7: record(247808), 6: record(None, status="compile_error")}[config["MODE"]]]


def test_a_config_whose_compiled_kernel_does_not_fit_is_never_measured_or_cached(tmp_path):
    sweep = Sweep("fake.yaml", ["fake_tunables:FAKE"], ["float32"], [{"n": 37}], space={"MODE": [7, 6, 1]},
                  budget={"max_configs": 100, "max_seconds": None, "timeout": 60})
    compiler = FakeCompiler()
    result = run_sweep(sweep, str(tmp_path / "out"), isolate=False, echo=lambda _: None, compile_check=compiler)
    assert sorted(m for m, _ in compiler.asked) == [1, 6, 7] and {c for _, c in compiler.asked} == {(9, 0)}
    assert 7 not in fake_tunables.CALLS and 6 not in fake_tunables.CALLS and 1 in fake_tunables.CALLS
    pruned = {r["config"]["MODE"]: r["detail"] for r in result["records"] if r["role"] == "pruned"}
    assert "shared memory 247808 B > 232448 B" in pruned[7] and "compile_error" in pruned[6]
    assert _cache.lookup("fake", "float32|n37") == {"MODE": 1, "num_warps": 4}


def test_misfit_names_shared_memory_registers_and_the_device_limit():
    assert misfit([record(232448)], (9, 0)) is None
    assert "232449 B > 232448 B" in misfit([record(232449)], (9, 0))
    assert "166912" in misfit([record(200000)], (8, 0))
    assert misfit([record(200000)], (8, 0), shared_limit_bytes=232448) is None  # the device's own figure
    assert "registers" in misfit([record(1024, registers=255, warps=16)], (9, 0))  # 255 x 512 > 65,536


def test_attention_backward_has_its_own_space_and_estimate():
    from tritorch.tune.library import ATTENTION, ATTENTION_BACKWARD
    shape = dict(batch=1, heads=1, seq_q=1024, seq_k=1024, head_dim=128, causal=0)
    tried = dict(BLOCK_M=128, BLOCK_N=64, num_warps=8, num_stages=3)  # compiled: 247,808 B on sm_90
    assert ATTENTION_BACKWARD.resources(tried, shape, "bfloat16")[0] == 247808
    good = dict(BLOCK_M=128, BLOCK_N=32, num_warps=8, num_stages=3)
    assert ATTENTION_BACKWARD.resources(good, shape, "bfloat16")[0] <= 232448
    backward_space = ATTENTION_BACKWARD.space(shape, "bfloat16")
    assert good in backward_space and tried not in backward_space
    assert backward_space != ATTENTION.space(shape, "bfloat16")
    assert all(c["BLOCK_M"] >= 16 and c["BLOCK_N"] >= 16 for c in backward_space)


def test_a_launcher_error_after_compiled_kernels_is_reported(monkeypatch):
    """A tunable whose first kernels compile and whose launcher then raises (a backward refusing the
    config after its forward ran) gives an error record, not only the good ones: the gate used to
    drop the error and pass such a case."""
    from tritorch.tune import compiled

    good = dict(kernel="_fwd", status="ok", shared=0, registers=32, spills=0, num_warps=4, num_stages=1, hash="h",
                error="")
    monkeypatch.setattr(compiled, "run_case", lambda fn, capability: ([good], "ValueError: unknown maxnreg"))
    records = compiled.compile_tunable("softmax", {"rows": 4, "cols": 8}, "float32", {"num_warps": 4}, (9, 0))
    assert records[0] is good
    assert records[-1]["status"] == "error" and "unknown maxnreg" in records[-1]["error"]
