"""scripts/api_coverage.py: the coverage of the PyTorch API real code uses never falls below the
figures recorded in scripts/api_coverage_floor.json (raise them as coverage grows)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "scripts", "api_coverage.py")


def _load_script():
    spec = importlib.util.spec_from_file_location("api_coverage", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_coverage_not_below_recorded_floor():
    cov = _load_script()
    if not os.path.exists(cov.DEFAULT_TABLE):
        pytest.skip(f"no usage table at {cov.DEFAULT_TABLE}")
    floor = json.load(open(os.path.join(ROOT, "scripts", "api_coverage_floor.json")))
    m = cov.measure(cov.DEFAULT_TABLE)
    assert m["use_site_coverage"] >= floor["use_site_coverage"], m["missing"][:20]
    assert m["names_covered"] >= floor["names_covered"], m["missing"][:20]
    assert m["keyword_coverage"] >= floor["keyword_coverage"], m["missing_keywords"][:20]
    most = floor.get("missing_used_by_3_or_more")   # names used by >= 3 code bases we may lack
    if most is not None:
        assert len(m["missing_used_by_3_or_more"]) <= most, m["missing_used_by_3_or_more"]


def test_keyword_status_reads_signatures():
    cov = _load_script()

    def f(a, /, b, *, c=1):
        pass

    def g(a, **kw):
        pass

    assert cov.keyword_status(f, "b") == "yes" and cov.keyword_status(f, "c") == "yes"
    assert cov.keyword_status(f, "a") == "no"            # positional-only
    assert cov.keyword_status(f, "d") == "no"
    assert cov.keyword_status(g, "d") == "kwargs"
    assert cov.parse_kwargs("dim:3:yes,!reverse:9:no,**:1:**,out:1:no") == [("dim", 3), ("out", 1)]


def test_missing_table_exits_zero_and_threshold_fails(tmp_path):
    r = subprocess.run([sys.executable, SCRIPT, str(tmp_path / "absent.tsv")], capture_output=True, text=True)
    assert r.returncode == 0 and "skipped" in r.stdout
    table = tmp_path / "t.tsv"
    table.write_text("name\tcategory\tkind\tuses\trepos_using\tfiles_using\tin_tritorch_2026_12_02\tkwargs_seen\tnote\n"
                     "torch.zeros\tapi\tfunction\t3\t1\t1\tyes\tdtype:2:yes\t\n"
                     "torch.no_such_function_xyz\tapi\tfunction\t1\t1\t1\tno\t\t\n")
    r = subprocess.run([sys.executable, SCRIPT, str(table), "--min-use-sites", "80", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    m = json.loads(r.stdout)
    assert m["use_site_coverage"] == 75.0 and m["names_covered"] == 1
    assert [e["name"] for e in m["missing"]] == ["torch.no_such_function_xyz"]
    r = subprocess.run([sys.executable, SCRIPT, str(table), "--min-use-sites", "70"], capture_output=True, text=True)
    assert r.returncode == 0 and "75.00%" in r.stdout
