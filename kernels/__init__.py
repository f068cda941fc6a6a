"""Fused Triton kernels with their numpy twins. Imports only triton, numpy and tritorch.cuda."""
