"""Checks of TritorchCudaDriver that need no GPU, run by test_triton_driver.py under the installed
Triton and (as ``python driver_checks.py``) under Triton 3.6.0 in its own venv."""
import inspect
import os
import re
import sys
import threading

os.environ.setdefault("TRITON_INTERPRET", "1")


def _uses_torch(fn):
    code = [line.split("#")[0] for line in inspect.getsource(fn).splitlines()]
    return any(re.search(r"(?<![A-Za-z_])torch\b", line) for line in code)


def check_all():
    import triton
    from triton.backends.driver import DriverBase, GPUDriver
    from triton.backends.nvidia.driver import CudaDriver

    from tritorch.cuda import Stream, stream, triton_driver

    cls = triton_driver._driver_class()
    driver = cls.__new__(cls)  # CudaUtils() would load libcuda: the GPU-free methods need no state
    # 1. every method of Triton's driver classes that touches torch is answered by the subclass
    for base in (CudaDriver, GPUDriver, DriverBase):
        for name, fn in vars(base).items():
            if callable(getattr(fn, "__func__", fn)) and _uses_torch(getattr(fn, "__func__", fn)):
                owner = next(k for k in cls.__mro__ if name in vars(k))
                assert owner is cls, f"{base.__name__}.{name} uses torch and is not overridden (triton {triton.__version__})"
    # 2. what compiling asks for: the target from tritorch's capability
    driver.get_device_capability = lambda device=None: (9, 0)
    target = driver.get_current_target()
    assert (target.backend, target.arch, target.warp_size) == ("cuda", 90, 32), target
    # 3. the stream of the current device, the default stream of another
    with stream(Stream(handle=1234)):
        assert driver.get_current_stream() == 1234 and driver.get_current_stream(0) == 1234
        assert driver.get_current_stream(1) == 0
    assert driver.get_device_interface() is sys.modules["tritorch.cuda"]
    assert not cls.is_active()  # emulated
    try:
        driver.get_active_torch_device()
        raise AssertionError("get_active_torch_device must raise")
    except RuntimeError as e:
        assert "torch-free" in str(e)
    # 4. the global-scratch allocator is set in each thread that launches (Triton keeps it in a ContextVar)
    from triton.runtime._allocation import _allocator
    seen = []

    def launch_thread():
        seen.append(_allocator.get() is triton_driver.scratch_allocator)
        triton_driver._set_allocator()
        seen.append(_allocator.get() is triton_driver.scratch_allocator)

    worker = threading.Thread(target=launch_thread)
    worker.start()
    worker.join()
    assert seen == [False, True], seen
    # 5. the profile-scratch hook exists where Triton has it (3.9), and is harmless where it does not (3.6)
    assert hasattr(cls, "allocate_default_profile_scratch")
    assert set(triton_driver.requirements()) == {"c_compiler", "python_headers", "libcuda"}
    return triton.__version__


if __name__ == "__main__":
    print("ok", check_all())
