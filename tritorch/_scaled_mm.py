"""torch._scaled_mm: float8 matrix multiply with scales. tritorch has no float8 dtypes."""
__all__ = ["_scaled_mm"]


def _scaled_mm(mat_a, mat_b, scale_a, scale_b, bias=None, scale_result=None, out_dtype=None, use_fast_accum=False):
    """Raises NotImplementedError: its inputs must be float8 tensors, which tritorch cannot hold."""
    raise NotImplementedError("torch._scaled_mm: tritorch has no float8 dtypes (float8_e4m3fn/float8_e5m2), so it "
                              "cannot run float8 matmuls; use (mat_a * scale_a) @ (mat_b * scale_b) in "
                              "bfloat16/float32")
