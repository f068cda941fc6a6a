"""Sweep files: expansion of shapes, the interpret section, and errors that name the key and the line."""
import glob
import os

import pytest
import yaml

from tritorch.train.errors import ConfigError
from tritorch.tune import load_sweep

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(tmp_path, data):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) if isinstance(data, dict) else data)
    return str(path)


def errors(tmp_path, data, *overrides):
    with pytest.raises(ConfigError) as info:
        load_sweep(write(tmp_path, data), overrides)
    return str(info.value)


BASE = {"kernel": "matmul", "dtypes": ["float16"], "shapes": [{"M": 64, "N": 32, "K": 16}]}


def test_products_ranges_and_defaults(tmp_path):
    sweep = load_sweep(write(tmp_path, dict(BASE, shapes=[
        {"M": [512, 4096], "N": {"from": 1024, "to": 4096, "mul": 2}, "K": {"from": 100, "to": 300, "step": 100}},
        {"M": 512, "N": 1024, "K": 100}])))                             # a duplicate of the first product
    assert len(sweep.shapes) == 2 * 3 * 3
    assert sweep.shapes[0] == {"M": 512, "N": 1024, "K": 100} and list(sweep.shapes[0]) == ["M", "N", "K"]
    assert {s["N"] for s in sweep.shapes} == {1024, 2048, 4096} and {s["K"] for s in sweep.shapes} == {100, 200, 300}
    assert sweep.budget["max_configs"] == 100 and sweep.measure["rep"] == 50 and sweep.space == {}


def test_interpret_section_replaces_shapes_space_budget_and_dtypes(tmp_path):
    data = dict(BASE, interpret={"shapes": [{"M": 3, "N": 5, "K": 7}], "dtypes": ["float32"],
                                 "space": {"BLOCK_M": [16]}, "budget": {"max_configs": 2}})
    path = write(tmp_path, data)
    gpu, cpu = load_sweep(path), load_sweep(path, interpret=True)
    assert gpu.shapes == [{"M": 64, "N": 32, "K": 16}] and gpu.dtypes == ["float16"] and gpu.space == {}
    assert cpu.shapes == [{"M": 3, "N": 5, "K": 7}] and cpu.dtypes == ["float32"]
    assert cpu.space == {"BLOCK_M": [16]} and cpu.budget["max_configs"] == 2


def test_overrides_from_the_command_line(tmp_path):
    sweep = load_sweep(write(tmp_path, BASE), ["budget.max_configs=7", "dtypes=[bfloat16]"])
    assert sweep.budget["max_configs"] == 7 and sweep.dtypes == ["bfloat16"]


@pytest.mark.parametrize("change, message", [
    ({"kernels": "matmul"}, "kernels: unknown key; did you mean kernel?"),
    ({"kernel": "matmull"}, "kernel: unknown kernel 'matmull'; did you mean matmul?"),
    ({"kernel": ["attention", "softmax"]}, "kernel: the kernels of one sweep must take the same shapes"),
    ({"kernel": "no_such_module:X"}, "cannot load 'no_such_module:X'"),
    ({"dtypes": ["float61"]}, "dtypes[0]: unknown dtype 'float61'; did you mean float16?"),
    ({"dtypes": "float16"}, "dtypes: must be a list"),
    ({"shapes": [{"M": 64, "N": 32, "k": 16}]}, "shapes[0].k: unknown shape param; did you mean K?"),
    ({"shapes": [{"M": 64, "N": 32, "k": 16}]}, "shapes[0]: missing K"),
    ({"shapes": [{"M": -4, "N": 32, "K": 16}]}, "shapes[0].M: must be a positive int"),
    ({"shapes": [{"M": {"from": 1, "to": 8}, "N": 32, "K": 16}]}, "shapes[0].M: a range is"),
    ({"shapes": [{"M": {"from": 1, "to": 8, "mul": 1}, "N": 32, "K": 16}]}, "mul >= 2"),
    ({"shapes": [{"M": {"from": 1, "to": 200000, "step": 1}, "N": [1, 2], "K": 16}]}, "expands to 400000 shapes"),
    ({"shapes": []}, "shapes: must be a list of shapes"),
    ({"space": {"BLOCK_Q": [16]}}, "space.BLOCK_Q: not a config key of matmul"),
    ({"space": {"num_warps": [4, 0]}}, "space.num_warps: must be a list of positive ints"),
    ({"budget": {"max_config": 3}}, "budget.max_config: unknown key; did you mean max_configs?"),
    ({"budget": {"timeout": -1}}, "budget.timeout: must be a positive number of seconds"),
    ({"measure": {"rep": 0}}, "measure.rep: must be an int >= 1"),
])
def test_errors_name_the_path(tmp_path, change, message):
    text = errors(tmp_path, dict(BASE, **change))
    assert message in text and "sweep.yaml:" in text                        # the file and line of the key


def test_all_problems_are_reported_at_once_with_lines(tmp_path):
    text = errors(tmp_path, "kernel: matmul\ndtypes: [float16, half]\nshapes:\n  - {M: 0, N: 1, K: 1}\nbudgt: {}\n")
    assert "dtypes[1]: unknown dtype 'half'" in text and "shapes[0].M" in text and "budgt: unknown key" in text
    assert "sweep.yaml:2" in text and "sweep.yaml:4" in text and "sweep.yaml:5" in text


def test_shapes_from_a_training_config(tmp_path):
    config = os.path.join(ROOT, "configs", "digits_mlp.yaml")
    sweep = load_sweep(write(tmp_path, dict(BASE, shapes=[{"from_training": config}])))
    data = yaml.safe_load(open(config))
    batch = data["data"]["batch_size"]
    assert {"M": batch, "N": 128, "K": 64} in sweep.shapes                 # the first Linear's forward
    ce = load_sweep(write(tmp_path, {"kernel": "cross_entropy", "dtypes": ["float32"],
                                      "shapes": [{"from_training": config}]}))
    assert ce.shapes == [{"rows": batch, "classes": 10}]
    text = errors(tmp_path, {"kernel": "attention", "dtypes": ["float32"], "shapes": [{"from_training": config}]})
    assert "shapes[0].from_training: one step of" in text and "runs no attention" in text
    text = errors(tmp_path, dict(BASE, shapes=[{"from_training": str(tmp_path / "missing.yaml")}]))
    assert "shapes[0].from_training: the training config does not build" in text


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "configs", "tune", "*.yaml"))))
def test_shipped_sweeps_are_valid_in_both_modes(path, monkeypatch):
    monkeypatch.chdir(ROOT)                                                 # from_training paths are relative
    for interpret in (False, True):
        sweep = load_sweep(path, interpret=interpret)
        assert sweep.shapes and sweep.dtypes and sweep.kernels
    assert len(load_sweep(path, interpret=True).shapes) <= 12                # small enough for CI
