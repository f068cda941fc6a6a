"""torch.vmap: map a function over a batch dimension, by looping.

vmap(func, in_dims=0, out_dims=0)(*args) calls func once per index of the mapped dimension (args
whose in_dim is None are passed whole) and stacks the results along out_dims. Results and gradients
are PyTorch's; speed is a Python loop's. One difference: PyTorch's default randomness='error' raises
when func draws random numbers, while here each call draws its own ('different').
"""
__all__ = ["vmap"]


def _batch_size(args, in_dims):
    sizes = {a.shape[d] for a, d in zip(args, in_dims) if d is not None}
    if not sizes:
        raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be a Tensor with a mapped "
                         "dimension (in_dims not all None)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sorted(sizes)} for the mapped dimension")
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """A function that runs `func` over dimension in_dims of its inputs and stacks along out_dims."""
    from . import stack
    from .tensor import Tensor

    def mapped(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`: in_dims has {len(dims)} elements but inputs has {len(args)}")
        for a, d in zip(args, dims):
            if d is not None and not isinstance(a, Tensor):
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                                 f"input is of type {type(a)}. We cannot vmap over non-Tensor arguments")
        n = _batch_size(args, dims)
        outs = [func(*[a if d is None else a.select(d, i) for a, d in zip(args, dims)], **kwargs) for i in range(n)]
        if isinstance(outs[0], tuple):
            odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(outs[0])
            return tuple(stack([o[k] for o in outs], dim=od) for k, od in enumerate(odims))
        return stack(outs, dim=out_dims)
    return mapped
