"""The one message every unimplemented torch.fx name raises."""


def fx_error(name):
    return NotImplementedError(
        f"tritorch.fx.{name}: tritorch does not implement torch.fx (symbolic tracing and graph "
        "transformations): its autograd records operations as they run and never builds a program graph; "
        "run the module directly (model(x)) instead of tracing it")
