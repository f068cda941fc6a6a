"""Keyword forms PyTorch's argument parser accepts on top of each op's own signature.

* ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=`` (numpy's spellings), on the ops where
  PyTorch takes them: ``x.sum(axis=0)``, ``torch.mean(x, 1, keepdims=True)``.
* ``out=``: the result is written into ``out`` as PyTorch does -- cast to ``out``'s dtype when the
  result's dtype can be cast to it (else RuntimeError), ``out`` resized when its shape differs
  (with PyTorch's warning unless ``out`` was empty), a tuple ``out`` for ops returning tuples
  (``torch.max(x, 1, out=(values, indices))``), and RuntimeError when autograd would need the
  result (an argument requires grad while grad mode is on).

* one keyword for varargs sizes: ``x.reshape(shape=(2, 3))``, ``torch.zeros(size=(2,))``.

``install(namespace, Tensor)`` wraps the listed names in the ``tritorch`` namespace and on Tensor.
"""
import functools
import inspect
import warnings

# ops whose `dim`/`keepdim` also take numpy's `axis`/`keepdims` in PyTorch (not norm/flip/topk/transpose)
AXIS_OPS = ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "logsumexp",
            "cumsum", "cumprod", "any", "all", "median", "nansum", "nanmean", "softmax", "log_softmax", "squeeze",
            "unsqueeze", "sort", "argsort", "unbind", "cat", "stack", "count_nonzero", "var_mean", "std_mean",
            "mode", "gather", "index_select", "chunk", "split", "narrow", "diff", "cummax", "cummin")
NO_KEEPDIMS = ("count_nonzero",)
# torch.* functions that take out= in PyTorch
OUT_OPS = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
           "fmod", "pow", "matmul", "mm", "bmm", "mv", "dot", "outer", "addmm", "cat", "concat", "concatenate", "stack",
           "hstack", "vstack", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
           "logsumexp", "cumsum", "cumprod", "any", "all", "median", "sort", "topk", "exp", "exp2", "expm1", "log",
           "log2", "log10", "log1p", "sqrt", "rsqrt", "abs", "absolute", "neg", "negative", "sign", "sin", "cos", "tan",
           "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "sigmoid", "erf", "erfc", "floor", "ceil", "round",
           "trunc", "frac", "reciprocal", "clamp", "clip", "maximum", "minimum", "fmax", "fmin", "where", "lerp",
           "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "square", "gather", "index_select",
           "masked_select", "take_along_dim", "tril", "triu", "einsum", "cross", "zeros", "ones", "empty", "full",
           "rand", "randn", "randint", "randperm", "arange", "linspace", "logspace", "eye", "nan_to_num", "norm",
           "diff", "cummax", "cummin", "baddbmm", "addcmul", "addcdiv", "hypot", "xlogy", "logaddexp", "mode")
_MISSING = object()
# PyTorch's ScalarType names, as its error messages spell them
_SCALAR = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
           "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


def _numpy_aliases(fn, keepdims=True):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                if "dim" in kwargs:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument 'dim' (as 'axis')")
                kwargs["dim"] = kwargs.pop("axis")
            if keepdims and "keepdims" in kwargs:
                if "keepdim" in kwargs:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument 'keepdim' (as 'keepdims')")
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    extra = ["axis"] + (["keepdims"] if keepdims and _has(fn, "keepdim") else [])
    _extend_signature(wrapper, fn, extra)
    return wrapper


def _has(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _extend_signature(wrapper, fn, names):
    """What help() and keyword checks see: fn's signature plus keyword-only `names`."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    params = [p for p in sig.parameters.values() if p.name not in names]
    tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    params = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in names] + tail
    wrapper.__signature__ = sig.replace(parameters=params)


def _tensors_in(args, kwargs):
    from ._util import is_tensor
    for a in list(args) + list(kwargs.values()):
        if is_tensor(a):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from (x for x in a if is_tensor(x))


def _write(name, result, out):
    from ..autograd import grad_mode
    if grad_mode.is_grad_enabled() and out.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if result.device != out.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got {out.device} instead")
    if result.dtype.category > out.dtype.category:    # PyTorch's canCast: no float -> int, no int -> bool
        raise RuntimeError(f"result type {_SCALAR[result.dtype.name]} can't be cast to the desired output type "
                           f"{_SCALAR[out.dtype.name]}")
    result = result.detach()
    if tuple(out.shape) == tuple(result.shape):
        out.copy_(result)
        return out
    if out.numel() != 0:
        warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, which "
                      f"does not match the required output shape {list(result.shape)}. This behavior is deprecated, "
                      "and in a future PyTorch release outputs will not be resized unless they have zero elements. "
                      "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                      "t.resize_(0).", stacklevel=4)
    out.data = result.to(out.dtype).clone()
    return out


def _out_form(fn, name):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        from ..autograd import grad_mode
        if grad_mode.is_grad_enabled() and any(t.requires_grad for t in _tensors_in(args, kwargs)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result)} Tensors")
            for r, o in zip(result, out):
                _write(name, r, o)
            return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
        return _write(name, result, out)
    _extend_signature(wrapper, fn, ["out"])
    return wrapper


# ops whose varargs sizes PyTorch also takes as one keyword: x.reshape(shape=(2, 3)), torch.zeros(size=(2,))
SIZE_KEYWORDS = {"reshape": "shape", "view": "size", "expand": "size", "permute": "dims", "repeat": "repeats",
                 "zeros": "size", "ones": "size", "empty": "size", "rand": "size", "randn": "size"}


def _size_keyword(fn, keyword):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if keyword in kwargs:
            args = args + (tuple(kwargs.pop(keyword)),)
        return fn(*args, **kwargs)
    _extend_signature(wrapper, fn, [keyword])
    return wrapper


def install(namespace, tensor_cls):
    """Wrap the ops of AXIS_OPS / OUT_OPS in `namespace` (the tritorch module's globals) and the
    AXIS_OPS methods of `tensor_cls`."""
    for name in AXIS_OPS:
        method = tensor_cls.__dict__.get(name)
        if callable(method) and not getattr(method, "_keyword_forms", False):
            wrapped = _numpy_aliases(method, name not in NO_KEEPDIMS)
            wrapped._keyword_forms = True
            setattr(tensor_cls, name, wrapped)
    for name, keyword in SIZE_KEYWORDS.items():
        method = tensor_cls.__dict__.get(name)
        if callable(method) and not getattr(method, "_keyword_forms", False):
            wrapped = _size_keyword(method, keyword)
            wrapped._keyword_forms = True
            setattr(tensor_cls, name, wrapped)
    for name in set(AXIS_OPS) | set(OUT_OPS) | set(SIZE_KEYWORDS):
        fn = namespace.get(name, _MISSING)
        if not callable(fn) or isinstance(fn, type) or getattr(fn, "_keyword_forms", False):
            continue
        wrapped = _size_keyword(fn, SIZE_KEYWORDS[name]) if name in SIZE_KEYWORDS else fn
        wrapped = _numpy_aliases(wrapped, name not in NO_KEEPDIMS) if name in AXIS_OPS and _has(fn, "dim") else wrapped
        wrapped = _out_form(wrapped, name) if name in OUT_OPS else wrapped
        wrapped._keyword_forms = True
        namespace[name] = wrapped
