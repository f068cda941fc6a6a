"""GradScaler: loss scaling for float16 training, PyTorch's `torch.amp.GradScaler`.

The scale and the growth tracker live on the device; the inf/NaN check of the gradients and the
scale update run there too. `step` reads one number back (whether any gradient was non-finite),
the one host synchronisation per step that PyTorch's scaler makes as well.
"""
import enum
import warnings

__all__ = ["GradScaler"]


class OptState(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _per_optimizer():
    return {"stage": OptState.READY, "found_inf": None}


class GradScaler:
    """Scale the loss so that float16 gradients do not underflow, unscale before the step, skip
    steps whose gradients overflowed, and adapt the scale.

    Args:
        device (str, optional): where the scale lives. Default: ``"cuda"``.
        init_scale (float, optional): the first scale. Default: ``2.0**16``.
        growth_factor (float, optional): scale multiplier after ``growth_interval`` clean steps. Default: ``2.0``.
        backoff_factor (float, optional): scale multiplier after a step with inf/NaN gradients. Default: ``0.5``.
        growth_interval (int, optional): clean steps between growths. Default: ``2000``.
        enabled (bool, optional): ``False`` makes every method a pass-through. Default: ``True``.

    Examples::

        >>> scaler = tritorch.amp.GradScaler()
        >>> with tritorch.autocast("cuda", dtype=tritorch.float16):
        ...     loss = loss_fn(model(x), y)
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)       # skipped when a gradient is inf/NaN
        >>> scaler.update()
    """

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = str(device)
        self._enabled = bool(enabled) and _available(self._device)
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._scale = None
        self._growth_tracker = None
        self._per_optimizer_states = {}

    # -- scaling ---------------------------------------------------------------------------------------
    def _lazy_init(self, device):
        import tritorch
        self._scale = tritorch.full((), self._init_scale, dtype=tritorch.float32, device=device)
        self._growth_tracker = tritorch.full((), self._init_growth_tracker, dtype=tritorch.int32, device=device)

    def scale(self, outputs):
        """Multiply a tensor (or nested lists/tuples of tensors) by the scale."""
        if not self._enabled:
            return outputs
        import tritorch
        if isinstance(outputs, tritorch.Tensor):
            if self._scale is None:
                self._lazy_init(outputs.device)
            return outputs * self._scale.to(outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _check_scale(self, name):
        if self._scale is None:
            raise RuntimeError(f"Attempted {name} but _scale is None.  This may indicate your script did not use "
                               "scaler.scale(loss or outputs) earlier in the iteration.")

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale, in place, recording (on the device) whether
        any of them holds inf or NaN. Optional: `step` does it when not done already."""
        if not self._enabled:
            return
        import tritorch
        self._check_scale("unscale_")
        state = self._per_optimizer_states.setdefault(id(optimizer), _per_optimizer())
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        found = tritorch.zeros((), dtype=tritorch.float32, device=self._scale.device)
        with tritorch.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if g.is_sparse:  # unscale the values in place (fp16 ones coalesced first, as PyTorch)
                        if g.dtype is tritorch.float16:
                            p.grad = g = g.coalesce()
                        g = g._values()
                    found = found + (~g.isfinite()).any().to(tritorch.float32)
                    g.mul_(inv_scale.to(g.dtype))
        state["found_inf"] = found
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet) and run ``optimizer.step(*args, **kwargs)`` unless a gradient was
        inf/NaN. Returns what optimizer.step returned, or None when the step was skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._per_optimizer_states.setdefault(id(optimizer), _per_optimizer())
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        result = None
        if not state["found_inf"].item():  # the one host synchronisation of a step
            result = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return result

    def update(self, new_scale=None):
        """Adapt the scale: times backoff_factor if any optimizer saw inf/NaN gradients since the last
        update, times growth_factor after growth_interval clean steps; or set it to `new_scale`."""
        if not self._enabled:
            return
        import tritorch
        self._check_scale("update")
        if new_scale is not None:
            value = new_scale if isinstance(new_scale, tritorch.Tensor) else tritorch.tensor(float(new_scale))
            self._scale = value.to(self._scale.device, tritorch.float32).reshape(())
        else:
            founds = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            if not founds:
                raise AssertionError("No inf checks were recorded prior to update.")
            bad = founds[0]
            for f in founds[1:]:
                bad = bad + f
            bad = bad > 0
            tracker = tritorch.where(bad, 0, self._growth_tracker + 1).to(tritorch.int32)
            grow = tracker >= self._growth_interval
            self._scale = tritorch.where(bad, self._scale * self._backoff_factor,
                                         tritorch.where(grow, self._scale * self._growth_factor, self._scale))
            self._growth_tracker = tritorch.where(grow, 0, tracker).to(tritorch.int32)
        self._per_optimizer_states = {}

    # -- accessors and state -----------------------------------------------------------------------------
    def get_scale(self):
        """The current scale as a Python float (a host synchronisation); 1.0 when disabled."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker.item())

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker
        (an empty dict when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale.fill_(self._init_scale)
            self._growth_tracker.fill_(self._init_growth_tracker)

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            state["_init_scale"], state["_init_growth_tracker"] = self.get_scale(), self._get_growth_tracker()
            state["_scale"] = state["_growth_tracker"] = None
            state["_per_optimizer_states"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


def _available(device):
    """PyTorch disables a cuda GradScaler when CUDA is unavailable; tritorch too (with its warning)."""
    import tritorch
    if device.startswith("cuda") and not tritorch.cuda.is_available():
        warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.")
        return False
    return True
