"""Where the real data sets live: $TRITORCH_SHARED_DATA, else ../shared/data beside the repository."""
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("TRITORCH_SHARED_DATA",
                                  Path(__file__).resolve().parents[2] / ".." / "shared" / "data")).resolve()


@pytest.fixture
def shared_file():
    """shared_file("mnist/t10k-labels-idx1-ubyte.gz") -> its Path, or skip the test when it is absent."""
    def find(relative):
        path = SHARED_DATA / relative
        if not path.exists():
            pytest.skip(f"{path} not present")
        return path
    return find
