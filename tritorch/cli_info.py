"""`tritorch info`: what this installation runs on.

Prints the versions of tritorch, numpy, triton and Python, whether CUDA is usable (a GPU
through cuda-python, or the host-memory emulation under TRITON_INTERPRET=1) and whether
Triton's interpreter is on. `--json` prints the same as one JSON object.
"""
import json
import os
import platform
from importlib import metadata


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of aligned lines")


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cuda():
    """(usable, description): never raises, whatever state the driver or cuda-python is in."""
    from tritorch import cuda
    try:
        if not cuda.is_available():
            return False, "not usable (no GPU or no cuda-python; `pip install tritorch[cuda]`)"
        if cuda.is_emulated():
            return True, "emulated in host memory (TRITON_INTERPRET=1)"
        return True, f"{cuda.device_count()} device(s), {cuda.get_device_name(0)}"
    except Exception as e:  # a broken driver is something to report, not a crash of `info`
        return False, f"error: {e}"


def collect():
    import numpy
    import tritorch
    usable, cuda_desc = _cuda()
    return {
        "tritorch": tritorch.__version__,
        "numpy": numpy.__version__,
        "triton": _version("triton"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cuda_available": usable,
        "cuda": cuda_desc,
        "triton_interpreter": os.environ.get("TRITON_INTERPRET") == "1",
    }


def run(args):
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    rows = [("tritorch", info["tritorch"]), ("numpy", info["numpy"]),
            ("triton", info["triton"] or "not installed"), ("python", info["python"]),
            ("platform", info["platform"]), ("cuda", info["cuda"]),
            ("triton interpreter", "on (TRITON_INTERPRET=1)" if info["triton_interpreter"] else "off")]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
