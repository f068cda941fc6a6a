"""ConfigError: every problem of a config at once, each with its key path and where it was written.

    model.layers[2].out_feature: unknown argument; did you mean out_features?  (configs/x.yaml:14)
"""
import contextlib
import difflib


def format_path(path):
    """('model', 'layers', 2, 'out_feature') -> 'model.layers[2].out_feature'."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def suggest(word, choices):
    """'; did you mean X?' for the closest choice, or '; expected one of a, b, c' when few, else ''."""
    choices = sorted(str(c) for c in choices)
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {by_lower[close[0]]}?"
    if 0 < len(choices) <= 12:
        return f"; expected one of {', '.join(choices)}"
    return ""


class ConfigError(ValueError):
    """A config that cannot run. `issues` is a list of (key path tuple, message)."""

    def __init__(self, issues, cfg=None, source=None):
        self.issues = list(issues)
        self.cfg = cfg
        self.source = source
        super().__init__(self.render())

    def render(self):
        lines = []
        for path, message in self.issues:
            where = self.cfg.where(path) if self.cfg is not None else (self.source or "")
            head = format_path(path)
            text = f"{head}: {message}" if head else message
            lines.append(f"{text}  ({where})" if where and not text.startswith(where) else text)
        return "\n".join(lines)


@contextlib.contextmanager
def located(cfg):
    """Re-raise a ConfigError raised without its Config (by a builder) with it, so it names the file
    line or the override that set the failing key."""
    try:
        yield
    except ConfigError as e:
        if e.cfg is None and cfg is not None:
            raise ConfigError(e.issues, cfg) from e.__cause__
        raise
