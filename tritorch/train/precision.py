"""Mixed precision for the trainer: `32`, `bf16-mixed`, `16-mixed`.

Mixed modes keep the float32 *master* weights in the model (the optimizer updates those, and
checkpoints hold them) and run forward and backward on a low-precision working copy:

    1. before the step's first micro-batch, the master weights are cast into the copy;
    2. floating inputs are cast to the low dtype, the copy runs, its output goes back to float32
       for the loss (so losses and softmax statistics are float32);
    3. after backward, the copy's gradients are cast to float32 into the master parameters
       (divided by the loss scale) and the copy's buffers (BatchNorm statistics) are copied back.

`16-mixed` adds dynamic loss scaling (GradScaler's rule): the loss is multiplied by `scale`
(2**16 to start); a step whose gradients hold inf/nan is skipped and the scale halved; after
2000 good steps in a row the scale doubles. bfloat16 has float32's range and needs no scaling.
Evaluation runs the float32 model.
"""
import copy
import math

import tritorch


class Precision:
    def __init__(self, mode, model):
        self.mode = mode
        self.model = model
        self.low = {"32": None, "bf16-mixed": tritorch.bfloat16, "16-mixed": tritorch.float16}[mode]
        self.scale = 2.0 ** 16 if mode == "16-mixed" else 1.0
        self.good_steps = 0
        self.copy = copy.deepcopy(model).to(self.low) if self.low is not None else model

    @property
    def enabled(self):
        return self.low is not None

    def begin_step(self):
        """Copy the master weights into the working copy (no-op in 32)."""
        if not self.enabled:
            return
        with tritorch.no_grad():
            for (_, master), (_, work) in zip(self.model.named_parameters(), self.copy.named_parameters()):
                work.copy_(master)
                work.grad = None
        self.copy.train(self.model.training)

    def forward(self, inputs):
        if not self.enabled:
            return self.model(*inputs)
        cast = [x.to(self.low) if isinstance(x, tritorch.Tensor) and x.dtype.is_floating_point else x for x in inputs]
        out = self.copy(*cast)
        return out.float() if isinstance(out, tritorch.Tensor) and out.dtype.is_floating_point else out

    def backward(self, loss):
        (loss * self.scale if self.scale != 1.0 else loss).backward()

    def end_step(self):
        """Move the gradients to the masters. False when they hold inf/nan under 16-mixed (skip the step)."""
        if not self.enabled:
            return True
        finite = True
        for master, work in zip(self.model.parameters(), self.copy.parameters()):
            if work.grad is None:
                continue
            g = work.grad.float()
            if self.scale != 1.0:
                g = g / self.scale
            master.grad = g if master.grad is None else master.grad + g
            work.grad = None
            if self.mode == "16-mixed" and not math.isfinite(float(g.abs().sum())):
                finite = False
        with tritorch.no_grad():
            for (_, master), (_, work) in zip(self.model.named_buffers(), self.copy.named_buffers()):
                master.copy_(work)
        if self.mode == "16-mixed":
            if finite:
                self.good_steps += 1
                if self.good_steps % 2000 == 0:
                    self.scale *= 2.0
            else:
                self.scale, self.good_steps = self.scale / 2.0, 0
                for master in self.model.parameters():
                    master.grad = None
        return finite

    def state_dict(self):
        return {"scale": self.scale, "good_steps": self.good_steps}

    def load_state_dict(self, state):
        self.scale, self.good_steps = float(state["scale"]), int(state["good_steps"])
