"""`tritorch tune`: an --interpret sweep end to end, and the cache commands."""
import csv
import json
import os

import pytest

from tritorch.cli import main
from tritorch.kernels import _cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITORCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_interpret_sweep_end_to_end(tmp_path, capsys, cache_dir):
    out = tmp_path / "report"
    code = main(["tune", os.path.join(ROOT, "configs", "tune", "matmul.yaml"), "interpret.shapes=[{M: 33, N: 47, K: 29}]",
                 "interpret.dtypes=[float16]", "--interpret", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "matmul" in printed.out and "M=33 N=47 K=29" in printed.out and "float16" in printed.out
    rows = list(csv.DictReader(open(out / "measurements.csv")))
    roles = [r["role"] for r in rows]
    assert roles.count("default") == 1 and roles.count("candidate") == 4 and all(r["status"] == "ok" for r in rows)
    report = json.loads((out / "sweep.json").read_text())
    best = report["summaries"][0]["best"]
    interpret_cache = str(cache_dir / "interpret" / "autotune.json")
    entry = _cache.read_cache(interpret_cache)["entries"][_cache.device_tag()]["matmul"]["float16|ieee|M64|N64|K32"]
    assert entry["config"] == best and entry["ms"] is None                   # checked, not timed
    assert not (cache_dir / "autotune.json").exists()  # the user's (GPU) cache is left alone
    assert not (out / "throughput.png").exists() and "nothing was timed" in printed.out


def test_cache_show_export_clear_import(tmp_path, capsys, cache_dir):
    config = {"BLOCK_N": 64, "num_warps": 4}
    _cache.store("softmax", "float32|N64", config, ms=0.01, default_ms=0.02)
    assert main(["tune", "--show"]) == 0
    shown = capsys.readouterr().out
    assert "1 entries" in shown and "softmax  float32|N64  BN64 w4  0.0100 ms (default 0.0200 ms)" in shown
    exported = tmp_path / "moved.json"
    assert main(["tune", "--export", str(exported)]) == 0
    assert main(["tune", "--clear"]) == 0 and not (cache_dir / "autotune.json").exists()
    assert _cache.lookup("softmax", "float32|N64") is None
    assert main(["tune", "--import", str(exported)]) == 0
    assert _cache.lookup("softmax", "float32|N64", like=config) == config
    capsys.readouterr()


def test_bad_input_gives_a_message_and_status_not_a_traceback(tmp_path, capsys, cache_dir):
    sweep = tmp_path / "bad.yaml"
    sweep.write_text("kernel: matmul\ndtypes: [float16]\nshapes: [{M: 1, N: 2}]\n")
    assert main(["tune", str(sweep), "--interpret"]) == 2
    assert "shapes[0]: missing K" in capsys.readouterr().err
    assert main(["tune"]) == 2 and "give a sweep file" in capsys.readouterr().err
    assert main(["tune", str(sweep), "--show"]) == 2
    capsys.readouterr()
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    assert main(["tune", "--import", str(junk)]) == 1
    assert "not a tritorch autotune cache" in capsys.readouterr().err
    cache_dir.mkdir(exist_ok=True)
    (cache_dir / "autotune.json").write_text("{broken")
    assert main(["tune", "--show"]) == 1 and "--clear" in capsys.readouterr().err
    assert main(["tune", "--clear"]) == 0 and not (cache_dir / "autotune.json").exists()
