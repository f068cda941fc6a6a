"""nn.DataParallel on one device: the wrapped module runs as it is, as PyTorch's DataParallel does
when it has a single device (or none), so `model = nn.DataParallel(model)` programs run unchanged and
their state dicts keep PyTorch's `module.` prefix."""
import tritorch
from .module import Module


def _device_index(d):
    if isinstance(d, int):
        return d
    d = tritorch.device(d)
    return d.index or 0


def _move(obj, device):
    """Tensors inside (nested) tuples, lists and dicts moved to device; other objects kept."""
    if isinstance(obj, tritorch.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_move(o, device) for o in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    return obj


class DataParallel(Module):
    """Wrap `module` for data-parallel training. tritorch drives a single device: without CUDA the
    module is called directly; with CUDA the inputs go to ``device_ids[0]`` and the outputs to
    ``output_device``, with no replicas and no batch split (the same result as PyTorch's scatter /
    gather on one device). Use DistributedDataParallel for several GPUs.

    Args:
        module (Module): the module to wrap; available as ``.module``.
        device_ids (list of int or device, optional): the first is used. Default: all devices.
        output_device (int or device, optional): where outputs go. Default: ``device_ids[0]``.
        dim (int, optional): the batch dim (kept for PyTorch compatibility). Default: ``0``.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.dim = dim
        if not tritorch.cuda.is_available():
            self.device_ids, self.output_device, self.src_device_obj = [], None, None
            return
        if device_ids is None:
            device_ids = list(range(tritorch.cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = tritorch.device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device {self.src_device_obj} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        inputs, kwargs = _move(inputs, self.src_device_obj), _move(kwargs, self.src_device_obj)
        out = self.module(*inputs, **kwargs)
        return _move(out, tritorch.device("cuda", self.output_device))
