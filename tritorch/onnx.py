"""torch.onnx: tritorch cannot export ONNX. ``import tritorch.onnx`` works so that programs which
only import it run; ``export`` raises NotImplementedError saying so."""

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, **kwargs):
    raise NotImplementedError("tritorch.onnx.export: tritorch cannot export ONNX (it records no graph to "
                              "export); save the weights with tritorch.save(model.state_dict(), 'model.pt'), load "
                              "them into the same model in PyTorch and export from there")


def is_in_onnx_export():
    """False: tritorch never exports."""
    return False
