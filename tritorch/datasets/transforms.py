"""Sample transforms, as torchvision.transforms: Compose, ToTensor, Normalize, Lambda, Flatten.

    transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])   # MNIST's usual pipeline
    image = transform(uint8_array_28x28)                                  # float32 [1, 28, 28]
"""
import numpy as np

from .. import _dtype
from .._ops.creation import as_tensor, from_numpy
from ..tensor import Tensor


class Compose:
    """Apply `transforms` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """A numpy image [H, W] or [H, W, C] -> a tensor [C, H, W].

    uint8 images are scaled to float32 in [0, 1] (divided by 255); other dtypes keep their values
    and dtype, as torchvision.
    """

    def __call__(self, pic):
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        img = pic[:, :, None] if pic.ndim == 2 else pic
        img = np.ascontiguousarray(img.transpose(2, 0, 1))
        if img.dtype == np.uint8:
            return from_numpy(img.astype(_dtype.get_default_dtype().np) / np.float32(255))
        return from_numpy(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normalize:
    """(image - mean[c]) / std[c] for each channel c of a float tensor [..., C, H, W].

    Args:
        mean (sequence): one mean per channel.
        std (sequence): one standard deviation per channel.
        inplace (bool, optional): write into the input. Default: ``False``.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.dtype.is_floating_point:
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tensor.size()}")
        mean = as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device)
        std = as_tensor(self.std, dtype=tensor.dtype, device=tensor.device)
        if (std == 0).any().item():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by "
                             "zero.")
        mean, std = mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Flatten:
    """A tensor [d0, d1, ...] -> [d0 * d1 * ...] (e.g. an image for an MLP)."""

    def __call__(self, tensor):
        return tensor.reshape(-1)

    def __repr__(self):
        return f"{type(self).__name__}()"
