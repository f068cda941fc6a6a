"""How much of the PyTorch API that real code uses tritorch has: names and keyword arguments.

Reads the usage table (``../shared/api/pytorch_api_usage.tsv``: one row per PyTorch name with its
use sites, code bases, and the keyword arguments seen with it as ``kwarg:sites:...``), resolves
every name against tritorch *as it is now* and checks every keyword against the signature.

    python scripts/api_coverage.py                      # summary + top missing names/keywords
    python scripts/api_coverage.py --json               # the same as JSON
    python scripts/api_coverage.py --min-use-sites 95   # exit 1 below 95% of use sites
    python scripts/api_coverage.py --missing 0          # every missing name

How a name resolves: ``torch.a.b`` -> ``tritorch.a.b`` (getattr chain, importing submodules);
``Tensor.m`` -> an attribute of a tensor; ``Module.m`` -> of ``nn.Module``; ``optim-object.m`` ->
of an optimizer, LR scheduler or GradScaler; ``ctx.m`` -> of an autograd Function's ctx;
``override X.m`` -> ``X`` has ``m`` to override. A keyword counts when the signature names it;
one reaching only a ``**kwargs`` is counted apart ("through **kwargs"). Keywords the table marks
``!kw`` (not PyTorch's) and ``**`` splats are skipped.

Headline figures leave out rows noted "not in torch 2.13" and method names shared with builtins
("name also on list/dict/...", "mostly non-tensor objects": their counts are mostly other objects'
methods); those are listed apart. Keyword figures count the keywords seen with names tritorch has
(a missing name's keywords are missing with it), Tensor methods of the builtin-shared kind included
(``Tensor.mean(axis=)`` is PyTorch's too). Code bases fully covered needs a per-code-base column
(``repos``), which the table does
not have today; the script says so instead of guessing.
"""
import argparse
import csv
import importlib
import inspect
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TABLE = os.path.join(HERE, "..", "..", "shared", "api", "pytorch_api_usage.tsv")
_MISSING = object()


def _import_tritorch():
    sys.path.insert(0, os.path.join(HERE, ".."))
    import tritorch
    return tritorch


IMPORT_ERRORS = {}   # module path -> the error that made its names count as missing


def _resolve_dotted(tt, parts):
    obj, path = tt, "tritorch"
    for part in parts:
        path = f"{path}.{part}"
        try:
            nxt = getattr(obj, part, _MISSING)
        except Exception as e:         # a lazy submodule that fails to import: its names are missing
            IMPORT_ERRORS[path] = f"{type(e).__name__}: {e}"
            nxt = _MISSING
        if nxt is _MISSING and inspect.ismodule(obj):
            try:
                nxt = importlib.import_module(path)
            except ModuleNotFoundError:
                nxt = _MISSING
            except Exception as e:     # a broken module: say so, count its names as missing
                IMPORT_ERRORS[path] = f"{type(e).__name__}: {e}"
                nxt = _MISSING
        if nxt is _MISSING:
            return _MISSING
        obj = nxt
    return obj


class Resolver:
    """Maps a table name to the tritorch object it stands for (or _MISSING)."""

    def __init__(self, tt):
        self.tt = tt
        import tritorch.nn
        import tritorch.optim
        from tritorch.autograd.function import Node
        p = tt.zeros(1, requires_grad=True)
        opt = tt.optim.SGD([p], lr=0.1)
        self.owners = {
            "Tensor": [tt.Tensor, tt.zeros(2)],
            "Module": [tt.nn.Module, tt.nn.Linear(1, 1)],
            "optim-object": [opt, tt.optim.lr_scheduler.StepLR(opt, 1), tt.amp.GradScaler(enabled=False)],
            "ctx": [Node],
            "autograd.Function": [tt.autograd.Function],
        }

    def __call__(self, name):
        if name.startswith("override "):
            name = name[len("override "):]
        head, _, attr = name.rpartition(".")
        if head in self.owners:
            for owner in self.owners[head]:
                try:
                    value = getattr(owner, attr, _MISSING)
                except Exception:   # a property that raises on this instance still exists
                    value = None
                if value is not _MISSING:
                    return value
            return _MISSING
        parts = name.split(".")
        if parts[0] != "torch":
            return _MISSING
        return _resolve_dotted(self.tt, parts[1:])


def _signature(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):
        return None


def keyword_status(obj, kw):
    """'yes' (the signature names kw), 'kwargs' (only a **kwargs takes it), 'no', or 'unknown'."""
    if obj is None or obj is _MISSING:
        return "no"
    if isinstance(obj, property):
        return "no"
    sig = _signature(obj)
    if sig is None:
        return "unknown"
    params = sig.parameters
    if kw in params and params[kw].kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL):
        return "yes"
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return "kwargs"
    return "no"


def parse_kwargs(field):
    """[(kw, sites)] of a kwargs_seen cell, leaving out `!kw` (not PyTorch's) and `**` splats."""
    out = []
    for item in filter(None, field.split(",")):
        kw, sites, *_ = item.split(":")
        if kw.startswith("!") or kw == "**":
            continue
        out.append((kw, int(sites)))
    return out


def measure(table_path):
    tt = _import_tritorch()
    resolve = Resolver(tt)
    with open(table_path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    names, kwargs, apart = [], [], []
    repos_missing = {}
    for row in rows:
        note = row.get("note") or ""
        obj = resolve(row["name"])
        have = obj is not _MISSING
        entry = dict(name=row["name"], uses=int(row["uses"]), repos=int(row["repos_using"]), have=have)
        if note == "not in torch 2.13":
            apart.append(dict(entry, note=note))
            continue
        if note == "mostly non-tensor objects" or note.startswith("name also on"):
            apart.append(dict(entry, note=note))
            if not row["name"].startswith("Tensor."):   # an optimizer's .update(loss=) is someone else's
                continue
        else:
            names.append(entry)
        for kw, sites in parse_kwargs(row.get("kwargs_seen") or "") if have else ():
            kwargs.append(dict(name=row["name"], kw=kw, uses=sites, status=keyword_status(obj, kw)))
        for repo in filter(None, (row.get("repos") or "").split(",")):
            repos_missing.setdefault(repo, 0)
            repos_missing[repo] += not have
    uses = sum(e["uses"] for e in names)
    covered = sum(e["uses"] for e in names if e["have"])
    kw_uses = sum(k["uses"] for k in kwargs)
    kw_ok = sum(k["uses"] for k in kwargs if k["status"] in ("yes", "kwargs"))
    return dict(
        table=os.path.abspath(table_path),
        use_sites=uses, use_sites_covered=covered, use_site_coverage=100.0 * covered / max(uses, 1),
        names=len(names), names_covered=sum(e["have"] for e in names),
        missing_used_by_3_or_more=sorted((e["name"] for e in names if not e["have"] and e["repos"] >= 3)),
        keyword_sites=kw_uses, keyword_sites_covered=kw_ok, keyword_coverage=100.0 * kw_ok / max(kw_uses, 1),
        keyword_sites_through_kwargs=sum(k["uses"] for k in kwargs if k["status"] == "kwargs"),
        code_bases=len(repos_missing) or None,
        code_bases_fully_covered=(sum(v == 0 for v in repos_missing.values()) if repos_missing else None),
        missing=sorted((e for e in names if not e["have"]), key=lambda e: (-e["uses"], e["name"])),
        missing_keywords=sorted((k for k in kwargs if k["status"] == "no"), key=lambda k: (-k["uses"], k["name"])),
        apart=[e for e in apart if not e["have"]],
        import_errors=dict(IMPORT_ERRORS),
    )


def report(m, top):
    cut = None if top == 0 else top
    print(f"table: {m['table']}")
    print(f"use sites covered: {m['use_sites_covered']}/{m['use_sites']} = {m['use_site_coverage']:.2f}%")
    print(f"names covered:     {m['names_covered']}/{m['names']}")
    print(f"keyword sites on names we have: {m['keyword_sites_covered']}/{m['keyword_sites']} = "
          f"{m['keyword_coverage']:.2f}% "
          f"({m['keyword_sites_through_kwargs']} of them through **kwargs)")
    if m["code_bases"] is None:
        print("code bases fully covered: n/a (the table has no per-code-base 'repos' column)")
    else:
        print(f"code bases fully covered: {m['code_bases_fully_covered']}/{m['code_bases']}")
    print(f"missing names used by >= 3 code bases: {len(m['missing_used_by_3_or_more'])}")
    print(f"\nmissing names (uses, code bases){'' if cut is None else f', top {cut}'}:")
    for e in m["missing"][:cut]:
        print(f"  {e['uses']:5d} {e['repos']:3d}  {e['name']}")
    print(f"\nmissing keywords (sites){'' if cut is None else f', top {cut}'}:")
    for k in m["missing_keywords"][:cut]:
        print(f"  {k['uses']:5d}  {k['name']}({k['kw']}=)")
    for path, err in m["import_errors"].items():
        print(f"\nwarning: {path} failed to import ({err}); its names count as missing")
    if m["apart"]:
        print("\nleft out of the figures (not in torch 2.13, or method names mostly of other objects), missing:")
        print("  " + ", ".join(e["name"] for e in m["apart"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("table", nargs="?", default=DEFAULT_TABLE, help="the usage TSV (default: %(default)s)")
    ap.add_argument("--json", action="store_true", help="print the measurement as JSON")
    ap.add_argument("--top", type=int, default=40, help="how many missing names/keywords to list (0: all)")
    ap.add_argument("--min-use-sites", type=float, default=None, metavar="PCT",
                    help="exit 1 when use-site coverage is below PCT percent")
    args = ap.parse_args(argv)
    if not os.path.exists(args.table):
        print(f"api_coverage: no usage table at {args.table}; nothing to measure (skipped)")
        return 0
    m = measure(args.table)
    if args.json:
        print(json.dumps(m, indent=1))
    else:
        report(m, args.top)
    if args.min_use_sites is not None and m["use_site_coverage"] < args.min_use_sites:
        print(f"api_coverage: use-site coverage {m['use_site_coverage']:.2f}% is below {args.min_use_sites}%",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
