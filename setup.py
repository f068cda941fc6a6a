"""The top-level `kernels/` folder installs as `tritorch.kernels` (it sits beside `tritorch/`, so the
kernels read as a small library of their own: Triton kernel, launcher and numpy twin per file).

pyproject.toml cannot combine package discovery with that mapping, so the package
list is computed here; everything else lives in pyproject.toml.
"""
from setuptools import find_packages, setup

kernels = ["tritorch.kernels"] + ["tritorch.kernels." + p for p in find_packages("kernels")]
setup(
    packages=find_packages(include=["tritorch", "tritorch.*"]) + kernels,
    package_dir={"tritorch.kernels": "kernels"},
)
