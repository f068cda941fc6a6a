"""embedding: rows of a weight matrix picked by integer indices."""
import numpy as np

from ...autograd import grad_mode
from ...autograd.function import Function

__all__ = ["embedding"]


class Embedding(Function):
    """weight[idx]; the gradient sums the rows of g into their indices, skipping padding_idx."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq, sparse=False):
        ctx.save_for_backward(idx)
        ctx.meta = (tuple(weight.shape), padding_idx, scale_grad_by_freq)
        ctx.sparse = sparse
        flat = idx.reshape(-1)
        return weight.index_select(0, flat).reshape(tuple(idx.shape) + (weight.shape[1],))

    @staticmethod
    def backward(ctx, g):
        idx, = ctx.saved_tensors
        shape, padding_idx, by_freq = ctx.meta
        flat = idx.reshape(-1)
        rows = g.reshape(-1, shape[1])
        if ctx.sparse:
            return _sparse_grad(flat, rows, shape, padding_idx, by_freq), None, None, None, None
        if by_freq:  # divide each row's gradient by how often its index occurs in the batch
            counts = g.new_zeros(shape[0]).index_add(0, flat, g.new_ones(flat.shape[0]))
            rows = rows / counts[flat].unsqueeze(1)
        if padding_idx is not None:
            rows = rows.masked_fill((flat == padding_idx).unsqueeze(1), 0.0)  # not * mask: NaN * 0 is NaN
        return g.new_zeros(shape).index_add(0, flat, rows), None, None, None, None


def _sparse_grad(flat, rows, shape, padding_idx, by_freq):
    """PyTorch's embedding_sparse_backward: a sparse COO (num_embeddings, dim) gradient whose
    uncoalesced indices are the looked-up ids in order (padding_idx entries dropped) and whose
    values are the output gradient's rows."""
    from ..._sparse import SparseTensor
    if by_freq:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    ids, vals = flat.detach().numpy(), rows.detach().numpy()
    if padding_idx is not None:
        keep = ids != padding_idx
        ids, vals = ids[keep], vals[keep]
    return SparseTensor._new(ids.astype(np.int64).reshape(1, -1), np.array(vals), shape, len(ids) < 2)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of weight (num_embeddings, embedding_dim) for int64/int32 indices input (*)
    -> (*, embedding_dim). padding_idx rows get no gradient; max_norm renormalises (in place) the
    looked-up rows whose norm_type-norm exceeds it; scale_grad_by_freq divides each row's gradient
    by its index's count in the batch. With sparse=True weight's gradient is a sparse COO tensor
    (indices: the looked-up ids, uncoalesced, as PyTorch; CPU only: a cuda weight raises)."""
    if input.dtype.is_floating_point or input.dtype.name == "bool":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += n
        if not 0 <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
    # Raises at once on the CPU; on cuda it flags the error, raised at the next synchronisation
    # (a training step must not sync; PyTorch's device-side assert is asynchronous too).
    input._b.check_index_range(input._data, n, False)
    idx = input.long()
    if max_norm is not None:
        with grad_mode.no_grad():
            rows = idx.reshape(-1).unique()
            norms = weight[rows].norm(norm_type, 1, keepdim=True)
            scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
            weight.data[rows] = weight.data[rows] * scale
    if sparse:
        if weight.device.type != "cpu":
            raise NotImplementedError(f"embedding(sparse=True): tritorch's sparse gradients are CPU-only, weight is on "
                                      f"{weight.device}; use sparse=False there")
        return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq, True)
    return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)
