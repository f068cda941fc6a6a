"""Mixed precision for the trainer: `32`, `bf16-mixed`, `16-mixed` (Lightning's names and recipe).

The weights stay float32 (the optimizer updates them; checkpoints hold them). In the mixed modes
the forward runs under `tritorch.autocast(device_type, dtype)`: matmuls, linear layers,
convolutions and attention in bfloat16 / float16, softmax, norms and losses in float32. The
model's output is cast to float32 before the loss.

`16-mixed` adds `tritorch.amp.GradScaler`: the loss is multiplied by the scale before backward,
gradients are unscaled before clipping, a step whose gradients hold inf/NaN is skipped and the
scale lowered. bfloat16 has float32's range and needs no scaling.
"""
import tritorch
from ..amp import GradScaler

LOW = {"32": None, "bf16-mixed": "bfloat16", "16-mixed": "float16"}


class Precision:
    def __init__(self, mode, device):
        self.mode = mode
        self.device_type = tritorch.device(device).type
        self.low = getattr(tritorch, LOW[mode]) if LOW[mode] else None
        self.scaler = GradScaler(device=self.device_type) if mode == "16-mixed" else None

    def forward(self, model, inputs):
        """model(*inputs) under autocast; a floating output comes back as float32."""
        if self.low is None:
            return model(*inputs)
        with tritorch.autocast(self.device_type, dtype=self.low):
            out = model(*inputs)
        return out.float() if isinstance(out, tritorch.Tensor) and out.dtype.is_floating_point else out

    def backward(self, loss):
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def unscale(self, optimizer):
        """Divide the gradients by the scale (before clipping them); no-op without a scaler."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer):
        """optimizer.step(), through the scaler (which skips it on inf/NaN gradients) under 16-mixed."""
        if self.scaler is None:
            optimizer.step()
            return
        self.scaler.step(optimizer)
        self.scaler.update()

    def state_dict(self):
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state):
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)

