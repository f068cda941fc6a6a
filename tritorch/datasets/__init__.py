"""tritorch.datasets: real datasets that work offline, and the transforms they need.

    from tritorch.datasets import Digits, MNIST, CharText, TextClassification, transforms
"""
from . import transforms
from .digits import Digits
from .mnist import MNIST, read_idx
from .text import CharText, TextClassification, Vocab, word_tokenize

__all__ = ["CharText", "Digits", "MNIST", "TextClassification", "Vocab", "read_idx", "transforms", "word_tokenize"]
