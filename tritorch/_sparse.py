"""Sparse tensors are not implemented in tritorch: Tensor.to_sparse(), torch.sparse_coo_tensor and
torch.spmm raise NotImplementedError saying so (a dense result in their place would change what
the program computes with, e.g. its memory and the layout later code checks). torch.jagged exists as
a layout name for code that only mentions it."""
__all__ = ["to_sparse", "sparse_coo_tensor", "spmm", "jagged", "install"]

_HINT = "keep the tensor dense (x.to_dense() is x) or build it with tritorch.zeros(...).index_put_(...)"


class _Layout:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


jagged = _Layout("jagged")


def to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
    raise NotImplementedError(f"Tensor.to_sparse: tritorch does not implement sparse tensors; {_HINT}")


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    raise NotImplementedError(f"torch.sparse_coo_tensor: tritorch does not implement sparse tensors; {_HINT}")


def spmm(input, mat2):
    raise NotImplementedError("torch.spmm: tritorch does not implement sparse tensors; for dense inputs use "
                              "tritorch.mm(input, mat2)")


def to_dense(self, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form (PyTorch returns self too)."""
    return self if dtype is None else self.to(dtype)


def install(namespace, tensor_cls):
    for name, value in (("sparse_coo_tensor", sparse_coo_tensor), ("spmm", spmm), ("jagged", jagged)):
        namespace.setdefault(name, value)
    for name, fn in (("to_sparse", to_sparse), ("to_dense", to_dense)):
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)
