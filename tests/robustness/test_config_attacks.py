"""Configs that try to run code: a dotted `type:` naming os.system, subprocess, builtins, `this`,
importlib or a function, written in the YAML file, in a command-line override or in a run
directory's config.yaml (read by `train --resume`, `eval` and `generate`), with and without
--dry-run. Each must be refused with one clear line naming the key, and a marker file that the
attack would create proves nothing ran. A user's own Module works only when allowed explicitly
(`imports:` or --allow-import), and YAML alias bombs and deep nesting are refused before loading."""
import copy
import os
import shutil
import sys
import uuid

import pytest
import yaml

from tritorch.cli import main

CONFIG = {
    "seed": 0, "device": "cpu",
    "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.15, "batch_size": 128},
    "model": {"type": "Sequential", "layers": [{"type": "Linear", "in_features": 64, "out_features": 16},
                                               {"type": "ReLU"},
                                               {"type": "Linear", "in_features": 16, "out_features": 10}]},
    "optimizer": {"type": "Adam", "lr": 1e-2},
    "trainer": {"max_steps": 2, "eval_every": 2, "limit_eval_batches": 1, "progress": False},
    "metrics": ["loss", "accuracy"],
}
STDLIB = "in Python's standard library"


def attacks(marker, evil_module):
    """name -> (spec that would touch `marker` if it were built, what the refusal says)."""
    return {
        "os.system": ({"type": "os.system", "command": f"touch {marker}"}, STDLIB),
        "subprocess.Popen": ({"type": "subprocess.Popen", "args": ["touch", marker]}, STDLIB),
        "subprocess.run": ({"type": "subprocess.run", "args": ["touch", marker]}, STDLIB),
        "builtins.open": ({"type": "builtins.open", "file": marker, "mode": "w"}, STDLIB),
        "builtins.eval": ({"type": "builtins.eval", "source": f"open({marker!r}, 'w')"}, STDLIB),
        "this.s": ({"type": "this.s"}, STDLIB),
        "importlib.import_module": ({"type": "importlib.import_module", "name": evil_module}, STDLIB),
        "a stdlib class": ({"type": "collections.OrderedDict", "a": 1}, STDLIB),
        "a function in tritorch": ({"type": "tritorch.nn.functional.relu"}, "is a function, not an nn.Module"),
        "a tritorch class of the wrong kind": ({"type": "tritorch.train.Trainer", "config": marker},
                                               "is a class, not an nn.Module subclass"),
    }


NAMES = list(attacks("M", "E"))


@pytest.fixture
def env(tmp_path, monkeypatch):
    """(marker path, name of a module on sys.path that creates the marker when imported)."""
    marker = str(tmp_path / "MARKER")
    evil = f"evil_{uuid.uuid4().hex[:8]}"
    (tmp_path / "pkgs").mkdir()
    (tmp_path / "pkgs" / f"{evil}.py").write_text(f"open({marker!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    monkeypatch.chdir(tmp_path)
    return marker, evil


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(code, out, err, marker, *parts):
    """Exit code 2, the parts in stderr, no traceback, no marker, and `this` never imported."""
    assert code == 2, (out, err)
    assert "Traceback" not in err and "error:" in err
    for part in parts:
        assert part in err, (part, err)
    assert not os.path.exists(marker)
    assert "Beautiful is better than ugly" not in out + err and "this" not in sys.modules


def _write(path, cfg):
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _with(section_path, spec):
    """CONFIG with the spec at a key path ('model', ('model', 'layers', 1), ...)."""
    cfg = copy.deepcopy(CONFIG)
    *parents, last = section_path
    node = cfg
    for key in parents:
        node = node[key]
    node[last] = spec
    return cfg


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "train"])
@pytest.mark.parametrize("name", NAMES)
def test_an_attack_in_the_yaml_file_is_refused(env, tmp_path, capsys, name, dry_run):
    marker, evil = env
    spec, says = attacks(marker, evil)[name]
    config = _write(tmp_path / "attack.yaml", _with(("model",), spec))
    args = ["train", config, "--output-dir", tmp_path / "run"] + (["--dry-run"] if dry_run else [])
    code, out, err = _cli(capsys, *args)
    _refused(code, out, err, marker, f"model.type: '{spec['type']}'", says)
    assert f"({config}:" in err and evil not in sys.modules and not (tmp_path / "run").exists()


@pytest.mark.parametrize("where", [("model", "layers", 1), ("loss",), ("optimizer",), ("scheduler",),
                                   ("data", "dataset")])
def test_an_attack_in_any_section_names_its_key(env, tmp_path, capsys, where):
    marker, evil = env
    spec = {"type": "os.system", "command": f"touch {marker}"}
    code, out, err = _cli(capsys, "train", _write(tmp_path / "a.yaml", _with(where, spec)), "--dry-run")
    key = ".".join(map(str, where)).replace(".layers.1", ".layers[1]")
    _refused(code, out, err, marker, f"{key}.type: 'os.system' is {STDLIB}")


@pytest.mark.parametrize("name", ["os.system", "subprocess.Popen", "builtins.open", "this.s",
                                  "importlib.import_module"])
def test_an_attack_in_a_command_line_override_is_refused(env, tmp_path, capsys, name):
    marker, evil = env
    spec, says = attacks(marker, evil)[name]
    config = _write(tmp_path / "good.yaml", CONFIG)
    overrides = [f"model.type={spec['type']}", "~model.layers"]
    overrides += [f"+model.{k}={yaml.safe_dump(v, default_flow_style=True).strip()}" for k, v in spec.items()
                  if k != "type"]
    for extra in ([], ["--dry-run"]):
        code, out, err = _cli(capsys, "train", config, *overrides, *extra)
        _refused(code, out, err, marker, f"model.type: '{spec['type']}'", says,
                 f"(override model.type={spec['type']})")
    assert evil not in sys.modules


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 2-step run directory."""
    root = tmp_path_factory.mktemp("trained")
    assert main(["train", str(_write(root / "config.yaml", CONFIG)), "--output-dir", str(root / "run")]) == 0
    return root / "run"


@pytest.mark.parametrize("command", ["resume", "resume --dry-run", "eval", "generate"])
@pytest.mark.parametrize("name", ["os.system", "subprocess.run", "builtins.eval", "this.s",
                                  "importlib.import_module", "a function in tritorch"])
def test_an_attack_in_a_run_directory_config_is_refused(env, trained, tmp_path, capsys, name, command):
    marker, evil = env
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    spec, says = attacks(marker, evil)[name]
    saved = yaml.safe_load((run / "config.yaml").read_text())
    saved["model"] = spec
    _write(run / "config.yaml", saved)
    args = {"resume": ["train", "--resume", run], "resume --dry-run": ["train", "--resume", run, "--dry-run"],
            "eval": ["eval", run], "generate": ["generate", run]}[command]
    code, out, err = _cli(capsys, *args)
    _refused(code, out, err, marker, f"model.type: '{spec['type']}'", says)
    assert evil not in sys.modules


def test_allowing_the_standard_library_is_refused(env, tmp_path, capsys):
    marker, _ = env
    spec = {"type": "subprocess.Popen", "args": ["touch", marker]}
    config = _write(tmp_path / "a.yaml", _with(("model",), spec))
    code, out, err = _cli(capsys, "train", config, "--allow-import", "subprocess", "--dry-run")
    _refused(code, out, err, marker, "--allow-import subprocess: 'subprocess' is part of Python's standard library")
    cfg = _with(("model",), spec)
    cfg["imports"] = ["subprocess", "os"]
    code, out, err = _cli(capsys, "train", _write(tmp_path / "b.yaml", cfg), "--dry-run")
    _refused(code, out, err, marker, "imports[0]: 'subprocess' is part of Python's standard library",
             "imports[1]: 'os' is part of")


def test_a_python_tag_in_yaml_is_not_constructed(env, tmp_path, capsys):
    marker, _ = env
    path = tmp_path / "tag.yaml"
    path.write_text(f"model: !!python/object/apply:os.system ['touch {marker}']\n")
    code, out, err = _cli(capsys, "train", path, "--dry-run")
    _refused(code, out, err, marker, f"{path}:1: invalid YAML: could not determine a constructor")


# -- a user's own package --------------------------------------------------------------------------

USER_MODELS = """
import tritorch.nn as nn
from subprocess import Popen                     # a stdlib class re-exported: still refused

open({imported!r}, "w").close()                  # proves when this module was imported


class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.body(x)


def make_marker(path):
    open(path, "w").close()
"""


@pytest.fixture
def user_pkg(env, tmp_path):
    """(package name, path of the file its `models` module creates on import)."""
    name = f"userpkg_{uuid.uuid4().hex[:8]}"
    imported = str(tmp_path / "IMPORTED")
    pkg = tmp_path / "pkgs" / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(USER_MODELS.format(imported=imported))
    yield name, imported
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def test_a_user_module_is_refused_without_opt_in_and_nothing_is_imported(env, user_pkg, tmp_path, capsys):
    name, imported = user_pkg
    config = _write(tmp_path / "user.yaml", _with(("model",), {"type": f"{name}.models.Net", "hidden": 8}))
    for extra in (["--dry-run"], []):
        code, out, err = _cli(capsys, "train", config, *extra)
        _refused(code, out, err, env[0], f"model.type: '{name}.models.Net' is not a tritorch class",
                 f"add `imports: [{name}.models]` at the top of the config or pass --allow-import {name}.models")
        assert not os.path.exists(imported) and f"{name}.models" not in sys.modules


def test_a_user_module_works_with_imports_in_the_config(env, user_pkg, tmp_path, capsys):
    name, imported = user_pkg
    cfg = _with(("model",), {"type": f"{name}.models.Net", "hidden": 8})
    cfg = {"imports": [f"{name}.models"], **cfg}
    config = _write(tmp_path / "user.yaml", cfg)
    code, out, err = _cli(capsys, "train", config, "--dry-run")
    assert code == 0, err
    assert f"note: importing {name}.models (imports: in {config})" in err and len(err.strip().splitlines()) == 1
    assert "Net(" in out and os.path.exists(imported)


def test_a_user_module_works_with_allow_import_through_train_eval_and_resume(env, user_pkg, tmp_path, capsys):
    name, imported = user_pkg
    config = _write(tmp_path / "user.yaml", _with(("model",), {"type": f"{name}.models.Net", "hidden": 8}))
    run = tmp_path / "run"
    code, out, err = _cli(capsys, "train", config, "--allow-import", name, "--output-dir", run)
    assert code == 0, err
    assert f"note: importing {name}.models (--allow-import {name})" in err and os.path.exists(imported)
    code, out, err = _cli(capsys, "eval", run)                       # the run dir's config needs the opt-in too
    assert code == 2 and f"pass --allow-import {name}.models" in err
    code, out, err = _cli(capsys, "eval", run, "--allow-import", name)
    assert code == 0, err
    code, out, err = _cli(capsys, "train", "--resume", run, "trainer.max_steps=3", "--allow-import", name)
    assert code == 0, err


@pytest.mark.parametrize("attr,where,says", [
    ("models.make_marker", "model", "is a function, not an nn.Module subclass"),
    ("models.Popen", "model", "is a class, not an nn.Module subclass"),
    ("models.Net", "optimizer", "is a class, not an Optimizer subclass"),
    ("models.Net", "scheduler", "is a class, not an LRScheduler subclass"),
    ("models.Net", "data.dataset", "is a class, not a Dataset subclass"),
])
def test_an_allowed_package_may_name_only_the_sections_base_class(env, user_pkg, tmp_path, capsys, attr, where,
                                                                  says):
    marker, _ = env
    name, _ = user_pkg
    spec = {"type": f"{name}.{attr}"} | ({"path": marker} if "marker" in attr else {})
    config = _write(tmp_path / "a.yaml", _with(tuple(where.split(".")), spec))
    code, out, err = _cli(capsys, "train", config, "--allow-import", name, "--dry-run")
    _refused(code, out, err, marker, f"{where}.type: '{name}.{attr}' {says}")


# -- YAML that would exhaust memory or the stack -----------------------------------------------------

def _bomb():
    text = "a: &a [" + ", ".join(["lol"] * 9) + "]\n"
    for prev, name in zip("abcdefghi", "bcdefghij"):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"   # 9^10 values once expanded
    return text


@pytest.mark.parametrize("text,says", [
    (_bomb(), "refused: more than 100,000 values once aliases are expanded"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "refused: nested deeper than 100 levels"),
    ("a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n", "refused: nested deeper than 100 levels"),
    ("a: &a [1, *a]\n", "refused: alias *a refers to a node that contains it"),
], ids=["alias-bomb", "deep-lists", "deep-mappings", "recursive-alias"])
def test_yaml_bombs_are_refused_before_loading(tmp_path, capsys, text, says):
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    code, out, err = _cli(capsys, "train", path, "--dry-run")
    assert code == 2 and "Traceback" not in err
    assert f"{path}:" in err and says in err


def test_a_bomb_in_an_override_and_oversized_or_endless_files_are_refused(tmp_path, capsys):
    config = _write(tmp_path / "good.yaml", CONFIG)
    code, out, err = _cli(capsys, "train", config, "seed=" + "[" * 500 + "]" * 500, "--dry-run")
    assert code == 2 and "nested deeper than 100 levels" in err and "Traceback" not in err
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 500_000)
    code, out, err = _cli(capsys, "train", big, "--dry-run")
    assert code == 2 and f"{big}: refused: larger than 4 MiB" in err
    code, out, err = _cli(capsys, "train", "/dev/zero", "--dry-run")
    assert code == 2 and "/dev/zero: refused: not a regular file" in err


@pytest.mark.parametrize("kernel", ["this:s", "os:system", "subprocess:Popen"])
def test_a_tune_sweep_naming_a_stdlib_module_imports_nothing(tmp_path, kernel):
    from tritorch.train.errors import ConfigError
    from tritorch.tune import load_sweep
    path = _write(tmp_path / "sweep.yaml", {"kernel": kernel, "dtypes": ["float16"],
                                            "shapes": [{"M": 64, "N": 32, "K": 16}]})
    with pytest.raises(ConfigError, match=f"kernel: cannot load '{kernel}': '{kernel.split(':')[0]}' is part of "
                                          "Python's standard library"):
        load_sweep(str(path))
    assert "this" not in sys.modules
