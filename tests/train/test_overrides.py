"""Hydra-style overrides: dotted paths, list indices, YAML-typed values, deletion, errors."""
import pytest

from tritorch.train import ConfigError, load_config
from tritorch.train.overrides import parse_override

from ._util import digits


@pytest.mark.parametrize("text,path,value", [
    ("optimizer.lr=3e-4", ("optimizer", "lr"), 3e-4),
    ("optimizer.lr=1e-3", ("optimizer", "lr"), 1e-3),
    ("model.layers.1.out_features=256", ("model", "layers", 1, "out_features"), 256),
    ("trainer.progress=false", ("trainer", "progress"), False),
    ("scheduler=null", ("scheduler",), None),
    ("name=my run", ("name",), "my run"),
    ("metrics=[loss, top5]", ("metrics",), ["loss", "top5"]),
    ("optimizer.betas=[0.9,0.95]", ("optimizer", "betas"), [0.9, 0.95]),
    ("+trainer.new=x=y", ("trainer", "new"), "x=y"),
    ("data.val={path: dev.tsv}", ("data", "val"), {"path": "dev.tsv"}),
])
def test_parse(text, path, value):
    got_path, got, delete = parse_override(text)
    assert got_path == path and got == value and type(got) is type(value) and not delete


def test_apply_sets_nested_keys_list_items_and_deletes():
    cfg = load_config(data=digits(), overrides=["model.layers.0.out_features=64", "model.layers.3.in_features=64",
                                                "optimizer.lr=3e-4", "data.test.train=false", "~model.layers.2",
                                                "model.layers.3={type: Softmax, dim: 1}"])
    layers = cfg.data["model"]["layers"]
    assert layers[0]["out_features"] == 64 and [l["type"] for l in layers] == ["Linear", "ReLU", "Linear", "Softmax"]
    assert layers[2]["in_features"] == 64  # the old index 3, moved up by the deletion
    assert cfg.data["optimizer"]["lr"] == 3e-4 and cfg.data["data"]["test"] == {"train": False}
    assert cfg.where(("optimizer", "lr")) == "override optimizer.lr=3e-4"


@pytest.mark.parametrize("text,message", [
    ("model.layers.9.out_features=1", "model.layers is a list of 4 items, no index 9"),
    ("model.layers.x.out_features=1", "model.layers is a list of 4 items, no index 'x'"),
    ("seed.value=1", "seed is 0, not a mapping or list"),
    ("optimizer.lr", "expected key=value"),
    ("a..b=1", "empty key path"),
    ("~trainer.nope", "trainer.nope does not exist"),
    ("optimizer.lr=[1,", "cannot read the value '[1,' as YAML"),
])
def test_errors_name_the_override(text, message):
    with pytest.raises(ConfigError) as e:
        load_config(data=digits(), overrides=[text])
    assert message in str(e.value) and repr(text) in str(e.value)
