"""`tritorch info`: what this installation runs on.

Prints the versions of tritorch, numpy, triton and Python, whether CUDA is usable (a GPU
through cuda-python, or the host-memory emulation under TRITON_INTERPRET=1) and whether
Triton's interpreter is on, and what Triton 3.6's launcher needs at a kernel's first GPU
launch (it compiles a C extension: a C compiler, the Python headers, libcuda.so.1; 3.7+ does not).
`--json` prints the same as one JSON object.
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
        "launcher_build": _launcher_build(_version("triton")),
        "cpu_jit": _cpu_jit(),
    }


def _cpu_jit():
    """Whether layer_norm and the large SGD/Adam updates run the [jit] extra's compiled loops (numba) or
    numpy's forms; never compiles."""
    numba = _version("numba")
    if os.environ.get("TRITORCH_JIT", "1") == "0":
        return f"off (TRITORCH_JIT=0; numba {numba or 'not installed'})"
    if numba is None:
        return "off: numpy forms (`pip install tritorch[jit]` for numba's compiled layer_norm and SGD/Adam updates)"
    return f"numba {numba} (compiled layer_norm and SGD/Adam updates, built on first use)"


def _launcher_build(triton_version):
    """What Triton 3.6's C launcher build finds here (a string), or that this Triton needs none."""
    if not triton_version or not triton_version.startswith("3.6"):
        return "not needed (Triton 3.6 builds a C launcher per kernel signature; this one does not)"
    from tritorch.cuda.triton_driver import requirements
    need = requirements()
    parts = [f"C compiler {need['c_compiler'] or 'MISSING (install gcc or set CC)'}",
             "Python headers " + ("found" if need["python_headers"] else "MISSING (install python3-dev)"),
             f"libcuda {need['libcuda'] or 'not found (needs libcuda.so.1 on a GPU machine, or TRITON_LIBCUDA_PATH)'}"]
    return "; ".join(parts)


def run(args):
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    rows = [("tritorch", info["tritorch"]), ("numpy", info["numpy"]),
            ("triton", info["triton"] or "not installed"), ("python", info["python"]),
            ("platform", info["platform"]), ("cuda", info["cuda"]),
            ("triton interpreter", "on (TRITON_INTERPRET=1)" if info["triton_interpreter"] else "off"),
            ("launcher build", info["launcher_build"]), ("cpu jit", info["cpu_jit"])]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
