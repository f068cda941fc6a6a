"""max_pool2d's most common case, a 2x2 kernel with stride 2 (no padding, no dilation), as a tournament.

The four taps of every window are strided views of the input; two pairwise maxima and one final
one give the values (3 passes instead of the general loop's 4 taps x 4 passes), and the winners'
flags give the argmax. A tap beats an earlier one only when strictly greater, so ties go to the
first maximum in row-major order, exactly PyTorch's CPU rule. PyTorch also lets a NaN replace the
running maximum (the last NaN of a window wins), which a tournament cannot see: a NaN anywhere in
the output sends the call back to the general loop (`None`).
"""
import numpy as np

__all__ = ["max_pool2d_2x2"]


def max_pool2d_2x2(x, ceil_mode):
    """x: (N, C, H, W) float -> (values (N, C, H // 2, W // 2), int64 indices into the flattened H * W
    plane), or None where this path does not apply (a ceil_mode partial window, a NaN)."""
    n, c, h, w = x.shape
    ho, wo = h // 2, w // 2
    if ceil_mode and (h % 2 or w % 2) or ho == 0 or wo == 0:
        return None
    a, b, d, e = (x[:, :, i:2 * ho:2, j:2 * wo:2] for i in (0, 1) for j in (0, 1))  # taps in row-major order
    top, bottom = np.maximum(a, b), np.maximum(d, e)
    values = np.maximum(top, bottom)
    if np.isnan(values).any():
        return None
    right_top, right_bottom = np.greater(b, a).view(np.uint8), np.greater(e, d).view(np.uint8)
    lower = np.greater(bottom, top).view(np.uint8)
    # the winner's tap number 2 * lower + (right_bottom if lower else right_top), by bit operations
    # (np.where on bool arrays is ~20x slower), then its offset in the window by a lookup table
    code = np.bitwise_xor(right_top, right_bottom)
    code &= lower
    code ^= right_top
    code |= lower << 1
    index = np.array([0, 1, w, w + 1], np.int64).take(code)
    index += (np.arange(ho, dtype=np.int64) * (2 * w))[:, None] + np.arange(0, 2 * wo, 2, dtype=np.int64)
    return values, index
