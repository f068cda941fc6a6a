"""torch.utils._pytree: flatten nested Python containers to a list of leaves and back.

Containers (nodes) are list, tuple, namedtuple, dict, OrderedDict and defaultdict; everything else,
None included, is a leaf (PyTorch 2.13's rules). Dicts keep their insertion order.

    leaves, spec = tree_flatten({"b": 1, "a": (2, [3, None])})   # [1, 2, 3, None]
    tree_unflatten([x * 2 for x in leaves], spec)                 # needs None-safe code, as in PyTorch
    tree_map(fn, tree, *rests, is_leaf=None)
"""
from collections import OrderedDict, defaultdict

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "tree_structure"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(node):
    """(type, context, children) of a container, or None for a leaf."""
    if _is_namedtuple(node):
        return type(node), type(node), list(node)
    if type(node) in (list, tuple):
        return type(node), None, list(node)
    if isinstance(node, defaultdict):
        return defaultdict, (node.default_factory, list(node.keys())), list(node.values())
    if type(node) in (dict, OrderedDict):
        return type(node), list(node.keys()), list(node.values())
    return None


class TreeSpec:
    """The shape of a tree: node type, its context (keys, namedtuple class) and child specs."""

    def __init__(self, type, context, children_specs):
        self.type, self.context, self.children_specs = type, context, children_specs
        self.num_leaves = sum(c.num_leaves for c in children_specs)

    def is_leaf(self):
        return False

    def unflatten(self, leaves):
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                             f"to a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(iter(leaves))

    def _build(self, it):
        kids = [c._build(it) for c in self.children_specs]
        if self.type is defaultdict:
            factory, keys = self.context
            return defaultdict(factory, zip(keys, kids))
        if self.type in (dict, OrderedDict):
            return self.type(zip(self.context, kids))
        if self.context is not None and self.type is self.context:    # namedtuple
            return self.type(*kids)
        return self.type(kids)

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and not other.is_leaf() and self.type is other.type
                and self.context == other.context and self.children_specs == other.children_specs)

    def __repr__(self):
        return f"TreeSpec({self.type.__name__}, {self.context}, {self.children_specs})"


class LeafSpec(TreeSpec):
    def __init__(self):
        self.type, self.context, self.children_specs, self.num_leaves = None, None, [], 1

    def is_leaf(self):
        return True

    def _build(self, it):
        return next(it)

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __repr__(self):
        return "*"


def tree_flatten(tree, is_leaf=None):
    """(leaves in order, TreeSpec) of `tree`."""
    leaves = []

    def walk(node):
        found = None if is_leaf is not None and is_leaf(node) else _children(node)
        if found is None:
            leaves.append(node)
            return LeafSpec()
        kind, context, kids = found
        return TreeSpec(kind, context, [walk(k) for k in kids])
    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec):
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but "
                        f"got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """The tree of func(leaf, *same-position leaves of rests); rests must have tree's structure."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = []
    for rest in rests:
        rest_leaves, rest_spec = tree_flatten(rest, is_leaf)
        if rest_spec != spec:
            raise ValueError(f"tree_map: a tree of structure {rest_spec} does not match {spec}")
        others.append(rest_leaves)
    return spec.unflatten(map(func, leaves, *others))
