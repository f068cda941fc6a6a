"""What a config may import: nothing outside tritorch unless the user allows it, never the standard library.

A config names classes; a dotted name (`type: mypkg.models.Net`) means importing `mypkg.models`.
Importing runs that module's code, so it happens only for modules the user allowed explicitly and
visibly: an `imports: [mypkg.models]` list at the top of the config, or `--allow-import mypkg` on
the command line. An allowed entry covers the module and its submodules. The check is on the name,
before anything is imported: `type: this.s` or `type: os.system` imports nothing.

    allowed_by("mypkg.models", ["mypkg"])   # 'mypkg'
    allowed_by("os", ["mypkg"])             # None
    refuse_entry("os")                      # "'os' is part of Python's standard library ..."
"""
import importlib
import os
import re
import sys
import sysconfig

DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
BUILTIN_ROOT = "tritorch"  # tritorch's own modules import without side effects: always allowed
HOW_TO_ALLOW = "add `imports: [{module}]` at the top of the config or pass --allow-import {module}"


def is_stdlib_name(module_name):
    """True when the top-level package of `module_name` is one of Python's standard library modules."""
    return module_name.split(".")[0] in sys.stdlib_module_names


def _stdlib_dirs():
    paths = sysconfig.get_paths()
    stdlib = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib") if paths.get(k)}
    site = {os.path.realpath(paths[k]) for k in ("purelib", "platlib") if paths.get(k)}
    return stdlib, site


def is_stdlib_file(path):
    """True when `path` lies in the standard library's directories (site-packages excluded)."""
    if not path:
        return False
    real = os.path.realpath(path)
    stdlib, site = _stdlib_dirs()

    def under(p, roots):
        return any(p == r or p.startswith(r + os.sep) for r in roots)
    parts = real.split(os.sep)
    return under(real, stdlib) and not under(real, site) and "site-packages" not in parts \
        and "dist-packages" not in parts


def is_stdlib_object(obj):
    """True for a class or function defined in the standard library (or a builtin)."""
    module_name = getattr(obj, "__module__", None) or ""
    if not module_name or is_stdlib_name(module_name):
        return True
    module = sys.modules.get(module_name)
    return is_stdlib_file(getattr(module, "__file__", None))


def refuse_entry(entry):
    """Why an allow-list entry cannot be allowed ('' when it can)."""
    if not isinstance(entry, str) or not DOTTED.fullmatch(entry):
        return f"expected a module name such as mypkg.models, got {entry!r}"
    if is_stdlib_name(entry) or is_stdlib_file(_top_level_origin(entry)):
        return f"{entry!r} is part of Python's standard library; a config may only import your own packages"
    return ""


def _top_level_origin(module_name):
    """The file of the top-level package of `module_name`, found without importing it (None if not found)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec(module_name.split(".")[0])
    except (ImportError, ValueError):
        return None
    return getattr(spec, "origin", None)


def allowed_by(module_name, allowed):
    """The entry of `allowed` that covers `module_name` (itself or a parent package), else None."""
    for entry in allowed:
        if module_name == entry or module_name.startswith(entry + "."):
            return entry
    return None


def is_builtin(module_name):
    return module_name == BUILTIN_ROOT or module_name.startswith(BUILTIN_ROOT + ".")


def _type_names(node):
    """Every `type:` string in a config tree."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node["type"]
        for value in node.values():
            yield from _type_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _type_names(value)


def allow_list(cfg, allow_import=()):
    """(allowed module names, issues, {module to import: why}) from `imports:` and `allow_import`.

    Nothing is imported here; entries naming the standard library or malformed are issues.
    """
    issues, allowed, why = [], [], {}
    listed = cfg.data.get("imports") if isinstance(cfg.data, dict) else None
    listed = listed if isinstance(listed, list) else []   # another type: reported by the schema check
    where = f"imports: in {cfg.source}" if cfg.source else "imports:"
    for i, entry in enumerate(listed):
        bad = refuse_entry(entry)
        if bad:
            issues.append((("imports", i), bad))
        else:
            allowed.append(entry)
            why[entry] = where
    for entry in allow_import:
        bad = refuse_entry(entry)
        if bad:
            issues.append(((), f"--allow-import {entry}: {bad}"))
        else:
            allowed.append(entry)
    for name in _type_names(cfg.data):
        module_name = name.rpartition(".")[0]
        if module_name and module_name not in why and DOTTED.fullmatch(name) \
                and not is_builtin(module_name):
            entry = allowed_by(module_name, allowed)
            if entry is not None:
                why[module_name] = where if entry in listed else f"--allow-import {entry}"
    return allowed, issues, why


def import_listed(cfg, allowed):
    """Import the config's allowed `imports:` entries (their `register()` calls give short names).
    Returns the issues (key path, message) of those that fail."""
    issues = []
    listed = cfg.data.get("imports") if isinstance(cfg.data, dict) else None
    for i, entry in enumerate(listed if isinstance(listed, list) else []):
        if entry in allowed:
            try:
                importlib.import_module(entry)
            except Exception as e:  # the user's module failed: say which, without a traceback
                issues.append((("imports", i), f"cannot import {entry!r} ({type(e).__name__}: {e})"))
    return issues
