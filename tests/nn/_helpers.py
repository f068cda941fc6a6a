"""Shared references for the nn tests (numpy; independent of tritorch's implementation)."""
import math

import numpy as np

erf = np.vectorize(math.erf)
