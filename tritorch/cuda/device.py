"""Devices: emulated or real, and the lazy bridge to the CUDA driver API.

tritorch talks to CUDA through ``cuda.bindings.driver`` (the low-level driver API of
cuda-python), not ``cuda.core``: the driver API is what Triton's own launcher uses (contexts,
``CUstream`` handles, ``CUdeviceptr``), its function names and calling convention have been
stable across cuda-python 12.x and 13.x, and every call maps one-to-one to the CUDA
documentation. ``cuda.core`` is a higher-level layer whose API was still moving (it lived under
``cuda.core.experimental`` until recently).

Nothing here touches CUDA at import time. The first call that needs the GPU imports
cuda-python, runs ``cuInit`` and makes the device's primary context current.

Emulation: with ``TRITON_INTERPRET=1`` the device is *emulated*: device memory is host memory,
kernels run in Triton's interpreter, and every function here answers without CUDA.
"""
import os
import threading

_state = threading.local()
_lock = threading.Lock()
_initialized = False


def is_emulated():
    """True when ``TRITON_INTERPRET=1``: device memory is host memory, kernels are interpreted."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def _import_driver():
    try:
        from cuda.bindings import driver
    except ImportError as e:
        raise RuntimeError(
            "CUDA is not available: cuda-python is not installed (pip install 'tritorch[cuda]'); "
            "set TRITON_INTERPRET=1 to emulate the device on the CPU") from e
    return driver


def check(result):
    """Unpack a cuda-python call's ``(CUresult, *values)``; raise RuntimeError on an error."""
    err, *values = result
    if int(err) != 0:
        driver = _import_driver()
        _, name = driver.cuGetErrorName(err)
        _, text = driver.cuGetErrorString(err)
        name = name.decode() if isinstance(name, bytes) else name
        text = text.decode() if isinstance(text, bytes) else text
        raise RuntimeError(f"CUDA error {name}: {text}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def driver_api():
    """The ``cuda.bindings.driver`` module, with CUDA initialised and a context current.

    Raises RuntimeError("CUDA is not available: ...") when cuda-python, the driver or a GPU is
    missing, or when the device is emulated (no CUDA exists to call).
    """
    global _initialized
    if is_emulated():
        raise RuntimeError("CUDA is not available: the device is emulated (TRITON_INTERPRET=1); "
                           "this operation needs a real GPU")
    driver = _import_driver()
    if not _initialized:
        with _lock:
            if not _initialized:
                try:
                    check(driver.cuInit(0))
                    count = check(driver.cuDeviceGetCount())
                except Exception as e:
                    raise RuntimeError(f"CUDA is not available: {e}; "
                                       "set TRITON_INTERPRET=1 to emulate the device on the CPU") from e
                if count == 0:
                    raise RuntimeError("CUDA is not available: no GPU found; "
                                       "set TRITON_INTERPRET=1 to emulate the device on the CPU")
                _initialized = True
    if getattr(_state, "device", None) is None:
        _make_current(driver, 0)
    return driver


def _make_current(driver, index):
    context = check(driver.cuDevicePrimaryCtxRetain(check(driver.cuDeviceGet(index))))
    check(driver.cuCtxSetCurrent(context))
    _state.device = index


def is_available():
    """True when kernels can run: a GPU answers through cuda-python, or the device is emulated."""
    if is_emulated():
        return True
    try:
        driver_api()
    except RuntimeError:
        return False
    return True


def device_count():
    """Number of CUDA devices (1 when emulated, 0 when CUDA is unavailable)."""
    if is_emulated():
        return 1
    if not is_available():
        return 0
    return check(_import_driver().cuDeviceGetCount())


def current_device():
    """Index of the current device for this thread (0 when emulated)."""
    if is_emulated():
        return 0
    driver_api()
    return _state.device


def set_device(index):
    """Make device ``index`` (int) current for this thread (its primary context)."""
    index = int(index)
    if is_emulated():
        if index != 0:
            raise ValueError(f"the emulated device has index 0 only, got {index}")
        return
    driver = driver_api()
    count = check(driver.cuDeviceGetCount())
    if not 0 <= index < count:
        raise ValueError(f"device index {index} out of range: {count} device(s)")
    if index != _state.device:
        _make_current(driver, index)


def synchronize(device=None):
    """Wait until all work queued on the current (or given) device has finished; raises
    ``errors.DeviceIndexError`` if a kernel met an out-of-range index since the last check."""
    from .errors import raise_device_errors
    if not is_emulated():
        if device is not None:
            set_device(device)
        check(driver_api().cuCtxSynchronize())
    raise_device_errors()


def get_device_capability(device=None):
    """Compute capability ``(major, minor)``; ``(0, 0)`` when emulated."""
    if is_emulated():
        return (0, 0)
    driver = driver_api()
    handle = check(driver.cuDeviceGet(current_device() if device is None else int(device)))
    attr = driver.CUdevice_attribute
    major = check(driver.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, handle))
    minor = check(driver.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, handle))
    return (major, minor)


def get_device_name(device=None):
    """The device's name, e.g. ``"NVIDIA H100 80GB HBM3"``; ``"emulated"`` when emulated."""
    if is_emulated():
        return "emulated"
    driver = driver_api()
    handle = check(driver.cuDeviceGet(current_device() if device is None else int(device)))
    name = check(driver.cuDeviceGetName(256, handle))
    return name.split(b"\0", 1)[0].decode()


# What the emulated device reports: an H100 SXM's limits, so that resource estimates (the autotuner's
# pruning) behave on the interpreter as they would on the GPU the project targets.
EMULATED_PROPERTIES = dict(name="emulated", capability=(0, 0), multiprocessor_count=132,
                           shared_memory_per_block_optin=232448, registers_per_block=65536,
                           l2_cache_size=50 * 1024 * 1024, warp_size=32)


def get_device_properties(device=None):
    """The limits kernel configs must fit in, as a dict: ``name``, ``capability`` ``(major, minor)``,
    ``multiprocessor_count``, ``shared_memory_per_block_optin`` (bytes), ``registers_per_block``
    (32-bit registers), ``l2_cache_size`` (bytes), ``warp_size``. Emulated: ``EMULATED_PROPERTIES``."""
    if is_emulated():
        return dict(EMULATED_PROPERTIES)
    driver = driver_api()
    index = current_device() if device is None else int(device)
    handle = check(driver.cuDeviceGet(index))
    attr = driver.CUdevice_attribute

    def get(name):
        return int(check(driver.cuDeviceGetAttribute(getattr(attr, f"CU_DEVICE_ATTRIBUTE_{name}"), handle)))

    return dict(name=get_device_name(index), capability=get_device_capability(index),
                multiprocessor_count=get("MULTIPROCESSOR_COUNT"),
                shared_memory_per_block_optin=get("MAX_SHARED_MEMORY_PER_BLOCK_OPTIN"),
                registers_per_block=get("MAX_REGISTERS_PER_BLOCK"), l2_cache_size=get("L2_CACHE_SIZE"),
                warp_size=get("WARP_SIZE"))
