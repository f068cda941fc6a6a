"""A safetensors file whose header length starts with byte 0x80 (a pickle's first byte) must load:
about one save in 256 has such a header."""
import pickle

import numpy as np
import pytest

import tritorch


def test_header_length_starting_with_0x80_loads(tmp_path):
    path = tmp_path / "w.safetensors"
    for pad in range(300):  # grow a string value until the header length's low byte is 0x80
        obj = {"w": tritorch.arange(6.0).reshape(2, 3), "note": "x" * pad}
        tritorch.save(obj, path)
        if path.read_bytes()[0] == 0x80:
            break
    else:
        pytest.fail("no header length with low byte 0x80 was produced")
    back = tritorch.load(path)
    assert back["note"] == obj["note"]
    np.testing.assert_array_equal(back["w"].numpy(), obj["w"].numpy())


def test_a_real_pickle_is_still_refused(tmp_path):
    path = tmp_path / "p.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    with pytest.raises(RuntimeError, match="pickle"):
        tritorch.load(path)
