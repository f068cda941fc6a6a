"""tritorch.profiler: PyTorch's schedule, on_trace_ready and trace export over record_function regions."""
import contextlib
import json
import warnings

import pytest

import tritorch
from tritorch.profiler import ProfilerAction, profile, record_function, schedule, tensorboard_trace_handler


def test_schedule_matches_pytorch():
    oracle = pytest.importorskip("torch")
    for kw in (dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=0, active=1, repeat=2),
               dict(wait=2, warmup=1, active=3, repeat=1, skip_first=3)):
        with pytest.warns(UserWarning, match="warmup") if kw["warmup"] == 0 else contextlib.nullcontext():
            ours = schedule(**kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = oracle.profiler.schedule(**kw)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)], kw


def test_regions_nest_and_traces_are_written(tmp_path):
    with profile(activities=[tritorch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            with record_function("outer"):
                with record_function("inner"):
                    tritorch.randn(8, 8) @ tritorch.randn(8, 8)
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["outer"].count == rows["inner"].count == 3
    assert rows["outer"].cpu_time_total >= rows["inner"].cpu_time_total
    assert rows["outer"].self_cpu_time_total <= rows["outer"].cpu_time_total
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=5)
    assert "outer" in table and "# of Calls" in table
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    events = json.load(open(tmp_path / "t.json"))["traceEvents"]
    assert sorted(e["name"] for e in events) == ["inner"] * 3 + ["outer"] * 3

    with record_function("outside"):          # no active profile: nothing recorded, no error
        pass

    saved = []
    handler = tensorboard_trace_handler(str(tmp_path / "tb"))
    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=lambda p: (
            saved.append(sorted(r.key for r in p.key_averages())), handler(p))) as prof:
        for step in range(4):
            with record_function(f"step{step}"):
                pass
            prof.step()
    assert saved == [["step2", "step3"]]       # steps 0 wait, 1 warmup, 2-3 recorded, saved after step 3
    assert len(list((tmp_path / "tb").glob("*.pt.trace.json"))) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert schedule(wait=0, warmup=0, active=1)(0) is ProfilerAction.RECORD_AND_SAVE


def test_autograd_profiler_spelling():
    with tritorch.autograd.profiler.profile(enabled=False) as prof:
        with tritorch.autograd.profiler.record_function("x"):
            pass
    assert prof.events() == []
    with tritorch.autograd.profiler.profile() as prof:
        with tritorch.autograd.profiler.record_function("x"):
            pass
    assert [e["name"] for e in prof.events()] == ["x"]
