"""torch.fx in tritorch: wrap and map_arg are real; tracing and graph objects raise a clear error."""
import pytest

import tritorch as torch
from tritorch import fx


def test_wrap_returns_its_argument_as_a_decorator_and_by_name():
    def f(x):
        return x + 1
    assert fx.wrap(f) is f and fx.wrap("len") == "len"
    with pytest.raises(RuntimeError, match="callable or string"):
        fx.wrap(3)


@pytest.mark.parametrize("call, name", [
    (lambda: fx.symbolic_trace(torch.nn.Linear(2, 2)), "symbolic_trace"),
    (lambda: fx.Tracer(), "Tracer"),
    (lambda: fx.Graph(), "Graph"),
    (lambda: fx.GraphModule(torch.nn.Linear(2, 2), None), "GraphModule"),
    (lambda: fx.Proxy(None), "Proxy"),
    (lambda: fx.Node(None, "x", "placeholder", "x", (), {}), "Node"),
    (lambda: fx.proxy.GraphAppendingTracer(None), "GraphAppendingTracer"),
    (lambda: fx.replace_pattern(None, None, None), "replace_pattern"),
])
def test_tracing_and_graphs_raise_naming_fx(call, name):
    with pytest.raises(NotImplementedError, match=f"tritorch.fx.*{name}.*does not implement torch.fx"):
        call()


def test_a_tracer_subclass_raises_too():
    class MyTracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return True
    with pytest.raises(NotImplementedError, match="MyTracer"):
        MyTracer()


def test_map_arg_maps_only_nodes_through_containers():
    class FakeNode(fx.Node):          # a Node subclass a caller could build without Node.__init__
        def __init__(self, v):
            self.v = v
    a, b = FakeNode(1), FakeNode(2)
    out = fx.node.map_arg((a, [b, 3], {"k": a}, slice(a, None)), lambda n: n.v * 10)
    assert out == (10, [20, 3], {"k": 10}, slice(10, None))
    assert isinstance(fx.GraphModule, type) and not isinstance(torch.nn.Linear(1, 1), fx.GraphModule)
