"""Malformed checkpoint files, shared by test_files.py (tritorch.load) and test_cli_errors.py (the CLI).

``cases(tmp_path, marker)`` -> {name: (bytes, part of the expected message)}. The pickles would create
the directory ``marker`` if anything ever unpickled them.
"""
import io
import json
import os
import pickle
import zipfile

import tritorch


class _Evil:
    """Unpickling this would create the marker directory."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def good(tmp_path):
    path = tmp_path / "good.safetensors"
    tritorch.save({"a": tritorch.ones(2, 3), "b": tritorch.zeros(3), "step": 4}, path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    return data, json.loads(data[8:8 + n]), data[8 + n:]


def _with_header(header, body):
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def _edit(tmp_path, fn):
    _, header, body = good(tmp_path)
    fn(header)
    return _with_header(header, body)


def _zip(member, payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, payload)
    return buf.getvalue()


def cases(tmp_path, marker):
    data, _, _ = good(tmp_path)
    return {
        "empty": (b"", "is empty"),
        "truncated": (data[:len(data) // 2], "truncated"),
        "huge_header_length": ((2 ** 62).to_bytes(8, "little") + data[8:],
                               "announce a 4611686018427387904-byte header"),
        "header_just_short": ((len(data) - 7).to_bytes(8, "little") + data[8:], "truncated"),
        "overlapping_offsets": (_edit(tmp_path, lambda h: h["b"].update(data_offsets=[0, 12])), "overlap"),
        "offsets_past_the_end": (_edit(tmp_path, lambda h: h["b"].update(data_offsets=[24, 10 ** 9])),
                                 "outside the file"),
        "wrong_size_for_shape": (_edit(tmp_path, lambda h: h["a"].update(shape=[2, 4])), "needs 32 bytes"),
        "dtype_F128": (_edit(tmp_path, lambda h: h["a"].update(dtype="F128")), "dtype 'F128'"),
        "dtype_not_a_string": (_edit(tmp_path, lambda h: h["a"].update(dtype=7)), "dtype 7"),
        "negative_shape": (_edit(tmp_path, lambda h: h["a"].update(shape=[-2, -3])), "shape"),
        "header_not_json": (data[:8] + b"{" * int.from_bytes(data[:8], "little") + data[8 + int.from_bytes(
            data[:8], "little"):], "safetensors header must be valid JSON"),
        "header_a_list": (_with_header([1, 2], b""), "not an object"),
        "bad_structure": (_edit(tmp_path, lambda h: h["__metadata__"].update(
            tritorch='{"version": 1, "tree": {"$tuple": 5}}')), "structure is corrupt"),
        "pickle": (pickle.dumps({"w": _Evil(marker)}), "pickle"),
        "pickle_protocol_2": (pickle.dumps(_Evil(marker), protocol=2), "pickle"),
        "zip": (_zip("readme.txt", b"not a checkpoint"), "zip archive"),
        "pt_zip_with_evil_pickle": (_zip("archive/data.pkl", pickle.dumps({"w": _Evil(marker)}, protocol=2)),
                                    "Unsupported global"),
    }


CASES = ["empty", "truncated", "huge_header_length", "header_just_short", "overlapping_offsets",
         "offsets_past_the_end", "wrong_size_for_shape", "dtype_F128", "dtype_not_a_string", "negative_shape",
         "header_not_json", "header_a_list", "bad_structure", "pickle", "pickle_protocol_2", "zip",
         "pt_zip_with_evil_pickle"]
