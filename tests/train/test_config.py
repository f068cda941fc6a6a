"""Config reading and validation: YAML 1.2 floats, references, and every kind of error with its
key path (and file line), exit code 2 and no traceback from the CLI."""
import pytest
import yaml

from tritorch.train import ConfigError, load_config, validate
from tritorch.train.config import Loader

from ._util import HERE, REPO, cli, digits


def _errors(data, overrides=()):
    with pytest.raises(ConfigError) as e:
        validate(load_config(data=data, overrides=list(overrides)))
    return str(e.value)


@pytest.mark.parametrize("text,value", [("1e-3", 1e-3), ("3E-4", 3e-4), ("-2e+5", -2e5), ("1.5", 1.5),
                                         (".5", 0.5), ("1_000", 1000), ("7", 7), ("1e3x", "1e3x"), ("true", True)])
def test_yaml_floats_read_as_numbers(text, value):
    got = yaml.load(f"v: {text}", Loader=Loader)["v"]
    assert got == value and type(got) is type(value)


def test_references_and_defaults():
    cfg = digits()
    cfg["name"] = "run-${seed}"
    cfg["trainer"]["eval_every"] = "${trainer.max_steps}"
    out = validate(load_config(data=cfg))
    assert out["name"] == "run-0" and out["trainer"]["eval_every"] == 30
    assert out["trainer"]["accumulate_grad_batches"] == 1 and out["trainer"]["precision"] == "32"
    assert out["loss"] == {"type": "CrossEntropyLoss"} and out["data"]["num_workers"] == 0
    bad = digits()
    bad["trainer"]["eval_every"] = "${trainer.nope}"
    assert "trainer.eval_every: ${trainer.nope} refers to a key that does not exist" in _errors(bad)


def test_unknown_argument_suggests_the_closest_name():
    msg = _errors(digits(), ["model.layers.3.out_feature=10"])
    assert "model.layers[3].out_feature: unknown argument; did you mean out_features?" in msg
    assert "(override model.layers.3.out_feature=10)" in msg


def test_unknown_type_key_and_metric():
    msg = _errors(digits(), ["model.layers.1.type=Relu", "optimizer.type=Adamm", "trainer.epoch=3",
                             "metrics.1=acuracy", "data.batchsize=3"])
    assert "model.layers[1].type: unknown module type 'Relu'; did you mean ReLU?" in msg
    assert "optimizer.type: unknown optimizer type 'Adamm'; did you mean Adam?" in msg
    assert "trainer.epoch: unknown key; did you mean epochs?" in msg
    assert "metrics[1]: unknown metric 'acuracy'; did you mean accuracy?" in msg
    assert "data.batchsize: unknown key; did you mean batch_size?" in msg


def test_wrong_types():
    msg = _errors(digits(), ["optimizer.lr=fast", "model.layers.0.in_features=2.5", "model.layers.0.bias=3",
                             "trainer.max_steps=ten", "data.batch_size=0", "trainer.precision=16", "device=tpu"])
    assert "optimizer.lr: expected a number, got 'fast' (str)" in msg
    assert "model.layers[0].in_features: expected an integer, got 2.5 (float)" in msg
    assert "model.layers[0].bias: expected true or false, got 3 (int)" in msg
    assert "trainer.max_steps: expected an integer or null, got 'ten' (str)" in msg
    assert "data.batch_size: must be positive, got 0" in msg
    assert "trainer.precision: expected one of '32', 'bf16-mixed', '16-mixed', got 16 (int)" in msg
    assert "device: expected auto, cpu, cuda or cuda:N, got 'tpu'" in msg


def test_missing_required_arguments_and_sections():
    msg = _errors(digits(), ["~model.layers.0.in_features", "~optimizer", "~trainer.max_steps"])
    assert "model.layers[0]: missing required argument 'in_features' of Linear" in msg
    assert "optimizer: missing required key" in msg
    assert "trainer: set trainer.epochs or trainer.max_steps" in msg
    cfg = digits()
    cfg["data"] = {"dataset": {"type": "TextClassification", "text_field": "t", "label_field": "l"}}
    assert "data.train: missing required argument 'path' of TextClassification" in _errors(cfg)


def test_dotted_import_path_is_checked_like_a_registered_class(monkeypatch):
    monkeypatch.syspath_prepend(HERE)
    cfg = digits()
    cfg["imports"] = ["killable"]
    cfg["model"] = {"type": "killable.KillableMLP", "hiden": 8}
    assert "model.hiden: unknown argument; did you mean hidden?" in _errors(cfg)
    cfg["imports"] = ["nosuchpkg"]
    assert "imports[0]: cannot import 'nosuchpkg' (ModuleNotFoundError" in _errors(cfg)
    cfg["model"] = {"type": "nosuchpkg.Net"}
    cfg["imports"] = []
    assert "model.type: 'nosuchpkg.Net' is not a tritorch class and 'nosuchpkg' is not allowed" in _errors(cfg)


def test_file_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 0\ndata:\n  dataset: {type: Digits}\nmodel:\n  type: Linear\n  in_features: 64\n"
                    "  out_feature: 10\noptimizer: {type: SGD, lr: 1e-2}\ntrainer: {max_steps: 1}\n")
    msg = _errors_file(path)
    assert f"model.out_feature: unknown argument; did you mean out_features?  ({path}:7)" in msg
    assert f"model: missing required argument 'out_features' of Linear  ({path}:5)" not in msg  # key line, not value
    path.write_text("a: 1\na: 2\n")
    assert "duplicate key 'a'" in _errors_file(path)
    path.write_text("a: [1, 2\n")
    assert f"{path}:2: invalid YAML" in _errors_file(path)


def _errors_file(path):
    with pytest.raises(ConfigError) as e:
        validate(load_config(path))
    return str(e.value)


def test_cli_reports_every_error_with_exit_code_2_and_no_traceback(tmp_path):
    out = cli("train", "configs/digits_mlp.yaml", "model.layers.3.out_feature=10", "optimizer.lr=fast",
              f"trainer.output_dir={tmp_path / 'run'}")
    assert out.returncode == 2, out.stderr
    assert "model.layers[3].out_feature: unknown argument; did you mean out_features?" in out.stderr
    assert "optimizer.lr: expected a number, got 'fast' (str)" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "run").exists()  # nothing ran
    missing = cli("train", "configs/nope.yaml")
    assert missing.returncode == 2 and "cannot read the config file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_dry_run_prints_config_model_and_parameter_count(tmp_path):
    out = cli("train", "configs/digits_mlp.yaml", "model.layers.0.out_features=256", "model.layers.3.in_features=256",
              "--dry-run", cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "Linear(in_features=64, out_features=256, bias=True)" in out.stdout
    assert f"parameters: {64 * 256 + 256 + 256 * 10 + 10:,}" in out.stdout
    assert "lr: 0.003" in out.stdout and "precision: '32'" in out.stdout


@pytest.mark.parametrize("override,message", [
    ("+trainer.early_stopping.patience=-3", "trainer.early_stopping.patience: must be >= 0, got -3"),
    ("+trainer.early_stopping.min_delta=-0.1", "trainer.early_stopping.min_delta: must be >= 0, got -0.1"),
    ("+scheduler={type: StepLR, step_size: 5, warmup_steps: -5}", "scheduler.warmup_steps: must be >= 0, got -5"),
    ("+scheduler={type: StepLR, step_size: 5, warmup_start_factor: 0}",
     "scheduler.warmup_start_factor: must be in (0, 1], got 0"),
    ("optimizer.lr=.inf", "optimizer.lr: must be a finite number, got inf"),
    ("optimizer.lr=-.inf", "optimizer.lr: must be a finite number, got -inf"),
    ("+optimizer.weight_decay=.nan", "optimizer.weight_decay: must be a finite number, got nan"),
    ("+optimizer.betas=[0.9, .inf]", "optimizer.betas: must be a finite number, got [0.9, inf]"),
    ("model.layers.2.p=.nan", "model.layers[2].p: must be a finite number, got nan"),
    ("trainer.gradient_clip_val=.inf", "trainer.gradient_clip_val: must be a finite number, got inf"),
    ("data.val_fraction=.nan", "data.val_fraction: must be a finite number, got nan"),
    ("seed=-1", "seed: must be >= 0, got -1"),
    ("data.num_workers=-2", "data.num_workers: must be >= 0, got -2"),
    ("data.batch_size=-8", "data.batch_size: must be positive, got -8"),
    ("trainer.epochs=-1", "trainer.epochs: must be positive, got -1"),
    ("trainer.max_steps=-5", "trainer.max_steps: must be positive, got -5"),
])
def test_values_of_the_right_type_but_impossible_are_refused_with_their_key(override, message):
    assert message in _errors(digits(), [override])


def test_the_cli_refuses_an_impossible_value_before_anything_runs(tmp_path):
    out = cli("train", "configs/digits_mlp.yaml", "+trainer.early_stopping.patience=-3",
              f"trainer.output_dir={tmp_path / 'run'}", "--dry-run")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "trainer.early_stopping.patience: must be >= 0, got -3  (override +trainer.early_stopping.patience=-3)" \
        in out.stderr
