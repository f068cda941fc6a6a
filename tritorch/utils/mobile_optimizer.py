"""torch.utils.mobile_optimizer: optimises TorchScript modules for PyTorch Mobile; tritorch has neither."""
__all__ = ["optimize_for_mobile"]


def optimize_for_mobile(script_module, optimization_blocklist=None, preserved_methods=None, backend="CPU"):
    """Raises NotImplementedError: there is no TorchScript module to optimise (tritorch.jit.script returns
    the eager module)."""
    raise NotImplementedError("torch.utils.mobile_optimizer.optimize_for_mobile: tritorch has no TorchScript or "
                              "PyTorch Mobile; save the weights (tritorch.save(model.state_dict(), path)), load "
                              "them into the same model in PyTorch and optimise there")
