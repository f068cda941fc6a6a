"""Matrix products: matmul with PyTorch's 1-d, batched and broadcast rules, mm, bmm, dot, einsum."""
from .. import _dtype
from ..amp.autocast import autocast_args
from ..autograd.function import Function
from .._dispatch import backend_for
from ._util import common_device, data_on, needs_graph, wrap


def _name(d):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int"}.get(d.name, d.name)


def _matmul(a, b):
    """a @ b as a new Tensor, no graph (shapes and dtypes already checked by matmul)."""
    device = common_device(a, b)
    return wrap(backend_for(device).matmul(data_on(a, device), data_on(b, device)), device)


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if g.dtype.is_complex:  # grad a = g b^H, grad b = a^H g
            a, b = a.conj(), b.conj()
        a2 = a.unsqueeze(0) if a.dim() == 1 else a
        b2 = b.unsqueeze(-1) if b.dim() == 1 else b
        if a.dim() == 1 and b.dim() == 1:  # a dot product: g is 0-d
            g2 = g.reshape(1, 1)
        elif a.dim() == 1:
            g2 = g.unsqueeze(-2)
        elif b.dim() == 1:
            g2 = g.unsqueeze(-1)
        else:
            g2 = g
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = (g2 @ b2.mT).sum_to_size(a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = (a2.mT @ g2).sum_to_size(b2.shape).reshape(b.shape)
        return ga, gb


def matmul(input, other):
    a, b = autocast_args("matmul", input, other)
    if a.dim() == 0 or b.dim() == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.dim()}D and "
                           f"{b.dim()}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_name(a.dtype)} != {_name(b.dtype)}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.dim() == 1 else b.shape[-2]
    if k_a != k_b:
        if a.dim() == 1 and b.dim() == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have the same "
                               f"number of elements, but got {k_a} and {k_b} elements respectively")
        sa = "x".join(map(str, (a.shape if a.dim() > 1 else (1, k_a))[-2:])) if a.dim() <= 2 else \
            f"{a.numel() // k_a}x{k_a}"
        sb = "x".join(map(str, b.shape[-2:] if b.dim() > 1 else (k_b, 1)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    if a.dim() > 2 or b.dim() > 2:
        from .shape import broadcast_shapes
        try:
            broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.dim() > 1 else ())
        except RuntimeError:
            raise RuntimeError(f"The size of tensor a ({list(a.shape[:-2])}) must match the size of tensor b "
                               f"({list(b.shape[:-2])}) at non-singleton dimension: batch dimensions of "
                               f"{list(a.shape)} and {list(b.shape)} do not broadcast") from None
    if needs_graph(a, b):
        return MatMul.apply(a, b)
    return _matmul(a, b)


def mm(input, mat2):
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.dim() != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
                           f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


def mv(input, vec):
    return mm(input, vec.unsqueeze(1)).squeeze(1)


def dot(input, other):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    return matmul(input, other)


inner = dot


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return beta * input + alpha * mm(mat1, mat2)


class Einsum(Function):
    @staticmethod
    def forward(ctx, equation, *operands):
        device = common_device(*operands)
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return wrap(operands[0]._b.einsum(equation, *[data_on(o, device) for o in operands]), device)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        if g.dtype.is_complex:  # d/d op_i of the product is the others: their conj for complex
            ops = [o.conj() for o in ops]
        lhs, out = ctx.equation.split("->")
        terms = lhs.split(",")
        grads = [None]
        for i, (term, op) in enumerate(zip(terms, ops)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            known = set(out).union(*others) if others else set(out)
            keep = "".join(c for c in dict.fromkeys(term) if c in known)
            eq = ",".join([out] + others) + "->" + keep
            gi = einsum(eq, g, *[o for j, o in enumerate(ops) if j != i])
            # letters only in this operand were summed away: broadcast back along them
            shape = [op.shape[term.index(c)] if c not in known else -1 for c in dict.fromkeys(term)]
            gi = gi.reshape([op.shape[term.index(c)] if c in known else 1 for c in dict.fromkeys(term)])
            gi = gi.expand([s if s != -1 else gi.shape[k] for k, s in enumerate(shape)])
            if len(set(term)) != len(term):
                raise RuntimeError("einsum backward with a repeated index inside one operand is not supported")
            grads.append(gi.permute([list(dict.fromkeys(term)).index(c) for c in term]))
        return tuple(grads)


def einsum(equation, *operands):
    """einsum over explicit subscripts ('ij,jk->ik'); an implicit output is made explicit."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise RuntimeError("tritorch.einsum does not support '...' in the equation; spell the dims out")
    if "->" not in equation:
        letters = equation.replace(",", "")
        equation += "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = equation.split("->")[0].split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(terms) else "einsum(): fewer operands were provided than "
                           "specified in the equation")
    for term, op in zip(terms, operands):
        if len(term) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match "
                               f"the number of dimensions ({op.dim()}) for operand {terms.index(term)}")
    dtype = _dtype.result_type(*operands)
    return Einsum.apply(equation, *[o.to(dtype) for o in operands])
