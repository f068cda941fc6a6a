"""The training loop: a validated config in, a trained run directory out.

    from tritorch.train import Trainer
    trainer = Trainer("configs/digits_mlp.yaml", overrides=["optimizer.lr=3e-4"])
    summary = trainer.fit()            # {'status': 'completed', 'val/accuracy': 0.97, ...}
    trainer.evaluate("test")           # {'loss': ..., 'accuracy': ...}

One step = `accumulate_grad_batches` micro-batches, then gradient clipping, `optimizer.step()` and
(with interval: step) `scheduler.step()`. Evaluation runs every `eval_every` steps or at each epoch
end. Batches are `(*inputs, target)`: the model gets the inputs, the loss `(output, target)`.

Resuming restores model, optimizer, scheduler, the position in the data order and every RNG, so
a killed and resumed run ends with the same weights as one that was never stopped.
"""
import json
import math
import os
import signal
import time

import numpy as np

import tritorch
from ..nn.utils import clip_grad_norm_
from ..nn.parallel import DistributedDataParallel
from . import checkpoint as ckpt, ddp
from .build import _fill as fill_references
from .build import build_loss, build_model, build_optimizer, build_scheduler, count_parameters, pick_device
from .config import Config, dump_yaml, load_config
from .data import build_datasets, dataset_info, eval_loader, resolve_data_paths, train_loader
from .errors import located
from .loggers import build_loggers, check_loggers
from .metrics import MetricLog, Metrics, align, mode_for
from .precision import Precision
from .probe import check_forward
from .progress import Progress
from .rundir import lock_run_dir, make_run_dir, unlock_run_dir
from .validate import validate


def _to(batch, device):
    return [x.to(device) if isinstance(x, tritorch.Tensor) else x for x in batch]


class Trainer:
    """Build everything a config describes; `fit()` trains, `evaluate(split)` measures.

    Args:
        config: a path to a YAML file, a dict, or a Config.
        overrides (list of str): `key.path=value` strings applied on top.
        run_dir (str, optional): where outputs go. Default: ``trainer.output_dir`` or ``runs/<name>``
            (with a ``-1``, ``-2``, ... suffix when it exists).
        resume (str, optional): a run directory to continue from its last checkpoint (its saved
            config is used; `overrides` still apply, e.g. more epochs).
        progress (bool, optional): force the progress bar on or off (default: trainer.progress, else TTY).
        allow_import (list of str): modules outside tritorch that `type:` may name, on top of the
            config's `imports:` list (`--allow-import`; see train/imports.py).

    Building ends with one forward of two training samples (probe.py): a layer whose input does not
    fit is a ConfigError naming its config key, before any run directory is written.
    """

    def __init__(self, config=None, overrides=(), run_dir=None, resume=None, progress=None, echo=print,
                 allow_import=()):
        self.echo = echo
        self.resume_dir = resume
        if resume is not None:
            config = os.path.join(resume, "config.yaml")
            if not os.path.exists(config):
                raise FileNotFoundError(f"--resume {resume}: no config.yaml there (not a tritorch run directory?)")
        if isinstance(config, Config):
            cfg = config
        elif isinstance(config, dict):
            cfg = load_config(data=config, overrides=overrides)
        else:
            cfg = load_config(config, overrides)
        self.source = cfg
        self.config = validate(cfg, allow_import)
        resolve_data_paths(self.config["data"], cfg.source and os.path.dirname(os.path.abspath(cfg.source)))
        self.allowed = tuple(self.config["imports"]) + tuple(allow_import)
        self.name = self.config["name"] or (os.path.basename(resume.rstrip("/")) if resume else cfg.name)
        self.requested_run_dir = resume or run_dir or self.config["trainer"]["output_dir"]
        self.run_dir = None
        tcfg = self.config["trainer"]
        self.show_progress = progress if progress is not None else tcfg["progress"]
        self.logger_names = check_loggers(tcfg["loggers"])
        self._seed_everything(self.config["seed"])
        self.device = pick_device(self.config["device"])
        self.rank, self.world = ddp.setup(tcfg["strategy"], self.device)
        if self.rank != 0:  # rank 0 alone speaks and writes
            self.echo, self.show_progress = (lambda *a, **k: None), False
        with located(cfg):  # a build error names the file line or the override it came from
            self.datasets = build_datasets(self.config["data"], self.config["seed"], self.allowed)
            self.info = dataset_info(self.datasets["train"])
            paths = {}  # id(module) -> its config key path, for the forward check's message
            self.model = build_model(self.config["model"], self.info, self.allowed, paths).to(self.device)
            self.loss_fn = build_loss(self.config["loss"], self.info, self.allowed)
            check_forward(self.model, self.loss_fn, self.datasets["train"], paths, self.device, cfg)
            self.optimizer = build_optimizer(self.config["optimizer"], self.model.parameters(), self.allowed)
            self.scheduler, self.interval = build_scheduler(self.config["scheduler"], self.optimizer, self.allowed)
        self.precision = Precision(tcfg["precision"], self.device)
        self.metric_names = self.config["metrics"] or ["loss"]
        self.monitor = tcfg["monitor"] or ("val/accuracy" if "accuracy" in self.metric_names else "val/loss")
        self.mode = tcfg["mode"] or mode_for(self.monitor)
        self.loader = train_loader(self.datasets["train"], self.config["data"], self.config["seed"],
                                   self.world, self.rank)
        self.train_model = DistributedDataParallel(self.model) if self.world > 1 else self.model
        self.steps_per_epoch = math.ceil(len(self.loader) / tcfg["accumulate_grad_batches"])
        self.total_steps = min(s for s in (tcfg["max_steps"], tcfg["epochs"] and tcfg["epochs"] * self.steps_per_epoch)
                               if s)
        self.state = {"step": 0, "epoch": 0, "batch": 0, "best": None, "best_step": None, "bad_evals": 0,
                      "elapsed": 0.0}
        self.last_eval = {}
        self.saved_step = None
        self._interrupted = False

    # -- setup ------------------------------------------------------------------------------------
    @staticmethod
    def _seed_everything(seed):
        import random
        tritorch.manual_seed(seed)
        np.random.seed(seed % 2 ** 32)
        random.seed(seed)

    def describe(self):
        """The resolved config (YAML), the model and its parameter count: what --dry-run prints."""
        n = count_parameters(self.model)
        resolved = fill_references(self.config, self.info, ())  # ${dataset.vocab_size} -> its value
        return (f"{dump_yaml(resolved)}\n{self.model}\n\nparameters: {n:,}\ndevice: {self.device}\n"
                f"steps: {self.total_steps} ({self.steps_per_epoch} per epoch)")

    def _open_run_dir(self):
        if self.rank != 0:  # rank 0 picked (and locked) the directory; the others read from it
            self.run_dir = ddp.share(None)
            if self.resume_dir is not None:
                self._resume_from(ckpt.path_for(self.run_dir, "last"))
            self.log, self.loggers = ddp.NullLog(), []
            return
        if self.resume_dir is not None:
            self.run_dir = self.resume_dir
            self._lock = lock_run_dir(self.run_dir)  # a second --resume of this run stops here
            ckpt.remove_stale_temps(self.run_dir)
            self._resume_from(ckpt.path_for(self.run_dir, "last"))
            MetricLog(self.run_dir).truncate(self.state["step"], self.state.get("log_lines"))
            self.echo(f"resuming {self.run_dir} from step {self.state['step']} (epoch {self.state['epoch']})")
            self._write_config()  # with this resume's overrides (e.g. more epochs), for the next one
        else:
            self.run_dir, note = make_run_dir(self.requested_run_dir or os.path.join("runs", self.name))
            self._lock = lock_run_dir(self.run_dir)
            if note:
                self.echo(note)
            self._write_config()
            ckpt.write_atomic(os.path.join(self.run_dir, "data_info.json"), json.dumps(self.info), text=True)
            self.save("last")
        self.log = MetricLog(self.run_dir)
        self.loggers = build_loggers(self.logger_names, self.run_dir, self.state["step"] if self.resume_dir else None)
        if self.world > 1:
            ddp.share(self.run_dir)

    def _resume_from(self, path):
        """Load the checkpoint at `path` into everything; CheckpointError (one line, naming the file)
        when it is missing, unreadable, or does not fit this run."""
        if not os.path.lexists(path):
            raise ckpt.CheckpointError(f"{path}: no checkpoint to resume from (the run stopped before its first "
                                       f"checkpoint); start it again: tritorch train "
                                       f"{os.path.join(self.run_dir, 'config.yaml')}")
        state = ckpt.load_checkpoint(path, map_location=str(self.device))
        ckpt.load_model_state(self.model, state, path)
        try:
            self.load_state(state)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as e:
            what = f"no {e} entry" if isinstance(e, KeyError) else " ".join(str(e).split())
            raise ckpt.CheckpointError(f"{path} cannot be resumed by this run: {what}") from None

    def _write_config(self):
        ckpt.write_atomic(os.path.join(self.run_dir, "config.yaml"), dump_yaml(self.config), text=True)

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self):
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "precision": self.precision.state_dict(), "trainer": dict(self.state),
                "rng": ckpt.rng_state(), "config": self.config}

    def load_state(self, state):
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.precision.load_state_dict(state["precision"])
        self.state.update(state["trainer"])
        ckpt.set_rng_state(state["rng"])

    def save(self, name):
        if name == "last":
            self.saved_step = self.state["step"]
        if self.rank != 0:
            return None
        log = getattr(self, "log", None)
        self.state["log_lines"] = log.lines if log is not None else 0  # metrics.jsonl lines this state has seen
        info = {"step": self.state["step"], "epoch": self.state["epoch"], "metrics": self.last_eval,
                "monitor": self.monitor, "best": self.state["best"], "best_step": self.state["best_step"]}
        return ckpt.save_checkpoint(self.run_dir, name, self.state_dict(), info)

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, split="val", model=None):
        """Metrics of the model on a split ({} when the split does not exist)."""
        ds = self.datasets.get(split)
        if ds is None:
            return {}
        model = model or self.model
        was_training = model.training
        model.eval()
        tracker = Metrics(self.metric_names if "loss" in self.metric_names else ["loss"] + self.metric_names)
        limit = self.config["trainer"]["limit_eval_batches"]
        with tritorch.no_grad():
            for batch in eval_loader(ds, self.config["data"], limit_batches=limit):
                *inputs, target = _to(batch, self.device)
                output, target = align(self.precision.forward(model, inputs), target)
                tracker.update(output, target, self.loss_fn(output, target).item())
        model.train(was_training)
        return tracker.compute()

    def _run_eval(self):
        metrics = self.evaluate("val")
        if not metrics:
            return {}
        self.last_eval = {f"val/{k}": v for k, v in metrics.items()}
        self.state["eval_step"] = self.state["step"]
        self._log_row({"step": self.state["step"], "epoch": self._data_epoch(), **self.last_eval})
        if self.config["trainer"]["log_histograms"]:
            for logger in self.loggers:
                logger.histograms(self.model, self.state["step"])
        self.log.write_csv()
        if self.scheduler is not None and type(self.scheduler).__name__ == "ReduceLROnPlateau":
            self.scheduler.step(self.last_eval.get(self.monitor, metrics["loss"]))
        value = self.last_eval.get(self.monitor)
        improved = False
        if value is not None:
            best = self.state["best"]
            improved = best is None or (value > best if self.mode == "max" else value < best)
            if improved:
                self.state["best"], self.state["best_step"] = value, self.state["step"]
        es = self.config["trainer"]["early_stopping"]
        if es is not None:
            self._early_stopping(es)
        if improved:
            self.save("best")
        self.bar.write(f"step {self.state['step']} epoch {self._data_epoch()}: "
                       + "  ".join(f"{k} {v:.4f}" for k, v in self.last_eval.items()))
        return self.last_eval

    def _data_epoch(self):
        """The epoch the last trained batch belongs to (0-based), as train rows record it: an epoch-end
        evaluation runs after the epoch counter moved on, and belongs to the epoch before."""
        ended = self.state["batch"] == 0 and self.state["step"] > 0
        return self.state["epoch"] - 1 if ended else self.state["epoch"]

    def _log_row(self, row):
        self.log.log(row)
        for logger in self.loggers:
            logger.log(row)

    def _early_stopping(self, es):
        monitor = es["monitor"] or self.monitor
        mode = es["mode"] or mode_for(monitor)
        value = self.last_eval.get(monitor)
        if value is None:
            return
        ref = self.state.get("es_best")
        better = ref is None or (value > ref + es["min_delta"] if mode == "max" else value < ref - es["min_delta"])
        if better:
            self.state["es_best"], self.state["bad_evals"] = value, 0
        else:
            self.state["bad_evals"] += 1

    # -- training ---------------------------------------------------------------------------------
    def _on_sigint(self, signum, frame):
        self._interrupted = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once

    def fit(self):
        """Train until epochs/max_steps, early stopping, Ctrl-C or a non-finite loss; return a summary.
        The run directory is locked (RUN_DIR/.lock) while it runs."""
        self._lock = None
        try:
            return self._fit()
        except Exception as e:
            if self.world > 1:
                ddp.abort(e)
            raise
        finally:
            unlock_run_dir(self._lock)
            self._lock = None

    def _fit(self):
        self._open_run_dir()
        tcfg = self.config["trainer"]
        self.bar = Progress(self.total_steps, start=self.state["step"], enabled=self.show_progress,
                            every_steps=tcfg["log_every"], every_s=tcfg["log_every_s"])
        if self.rank != 0:
            self.bar = ddp.NullProgress()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if _main_thread() else None
        start = time.perf_counter() - self.state["elapsed"]
        t_resume, step_resume = time.perf_counter(), self.state["step"]
        try:
            status = self._loop(tcfg, start)
            if status in ("completed", "early_stopped") and self.state.get("eval_step") != self.state["step"]:
                self._run_eval()
        finally:
            self.bar.close()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        self.state["elapsed"] = time.perf_counter() - start
        steps_done = self.state["step"] - step_resume
        summary = {"status": status, "run_dir": self.run_dir, "step": self.state["step"],
                   "epoch": self.state["epoch"], "time_s": round(self.state["elapsed"], 2),
                   "steps_per_s": round(steps_done / max(time.perf_counter() - t_resume, 1e-9), 2),
                   "parameters": count_parameters(self.model), "monitor": self.monitor,
                   "best": self.state["best"], "best_step": self.state["best_step"], **self.last_eval}
        if status != "nan":
            self.save("last")
        self.log.write_csv()
        for logger in self.loggers:
            logger.finish(self.config, summary)
        return summary

    def _loop(self, tcfg, start):
        accum, clip = tcfg["accumulate_grad_batches"], tcfg["gradient_clip_val"]
        sampler = self.loader.sampler
        batch_size = self.config["data"]["batch_size"]
        n_batches = len(self.loader)
        self.model.train()
        while True:
            if self.state["step"] >= self.total_steps:
                return "completed"
            sampler.set_epoch(self.state["epoch"])
            sampler.set_start(self.state["batch"] * batch_size)
            micro, loss_sum = 0, 0.0
            for batch in self.loader:
                if micro == 0:
                    self.optimizer.zero_grad(set_to_none=True)
                *inputs, target = _to(batch, self.device)
                output, target = align(self.precision.forward(self.train_model, inputs), target)
                loss = self.loss_fn(output, target)
                value = loss.item()
                if self.world > 1:  # every rank logs, checks and stops on the same numbers
                    value, self._interrupted = ddp.agree(value, self._interrupted)
                self.state["batch"] += 1
                if not math.isfinite(value):
                    return self._stop_nan(value)
                in_step = min(accum, n_batches - (self.state["batch"] - 1 - micro))
                self.precision.backward(loss / in_step if in_step > 1 else loss)
                micro, loss_sum = micro + 1, loss_sum + value
                if micro < in_step:
                    continue
                lr = self.optimizer.param_groups[0]["lr"]  # the rate this step uses (logged)
                self._optimizer_step(clip)
                self.state["step"] += 1
                self.state["elapsed"] = time.perf_counter() - start
                status = self._after_step(tcfg, loss_sum / micro, lr)
                micro, loss_sum = 0, 0.0
                if status == "completed" and self.state["batch"] == n_batches:
                    break  # the last step ends an epoch too: finish it (epoch count, eval, scheduler)
                if status:
                    return status
            self.state["epoch"] += 1
            self.state["batch"] = 0
            if self.scheduler is not None and self.interval == "epoch" and not self._plateau():
                self.scheduler.step()
            if tcfg["eval_every"] is None:
                self._run_eval()
            self.save("last")
            status = self._check_stop(tcfg)
            if status:
                return status

    def _plateau(self):
        return type(self.scheduler).__name__ == "ReduceLROnPlateau"

    def _optimizer_step(self, clip):
        self.precision.unscale(self.optimizer)
        if clip is not None:
            clip_grad_norm_(self.model.parameters(), clip)
        self.precision.step(self.optimizer)  # 16-mixed: skipped when a gradient is inf/nan
        if self.scheduler is not None and self.interval == "step" and not self._plateau():
            self.scheduler.step()

    def _after_step(self, tcfg, loss, lr):
        step = self.state["step"]
        self.bar.update(step, epoch=self.state["epoch"], loss=loss, lr=lr)
        if step % tcfg["log_every"] == 0 or step == self.total_steps:
            self._log_row({"step": step, "epoch": self.state["epoch"], "train/loss": loss, "lr": lr,
                          "time": round(self.state["elapsed"], 3)})
        if tcfg["eval_every"] is not None and step % tcfg["eval_every"] == 0:
            self._run_eval()
            self.save("last")
        every = tcfg["checkpoint_every"]
        if every is not None and step % every == 0:
            self.save(f"step_{step:07d}")
            self.save("last")
        return self._check_stop(tcfg)

    def _check_stop(self, tcfg):
        es = tcfg["early_stopping"]
        if self._interrupted:
            self.save("last")
            self.bar.write(f"interrupted at step {self.state['step']}: checkpoint saved to "
                           f"{ckpt.path_for(self.run_dir, 'last')}; continue with "
                           f"`tritorch train --resume {self.run_dir}`")
            return "interrupted"
        if es is not None and self.state["bad_evals"] >= es["patience"]:
            self.bar.write(f"early stopping at step {self.state['step']}: {es['monitor'] or self.monitor} did not "
                           f"improve for {es['patience']} evaluations")
            return "early_stopped"
        if self.state["step"] >= self.total_steps:
            return "completed"
        return None

    def _stop_nan(self, value):
        last = ckpt.path_for(self.run_dir, "last")
        saved = self.saved_step
        self.bar.write(f"error: the loss is {value} at step {self.state['step'] + 1} (epoch {self.state['epoch']}, "
                       f"batch {self.state['batch']}); stopping. The last good checkpoint is {last} "
                       f"(step {saved}). Try a lower optimizer.lr, gradient clipping "
                       f"(trainer.gradient_clip_val) or precision: '32'.")
        return "nan"


def _main_thread():
    import threading
    return threading.current_thread() is threading.main_thread()
