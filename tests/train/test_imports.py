"""The allow-list of modules a config may import: decided by name and file, before importing."""
import os
import sys

import numpy as np
import yaml

from tritorch.train import imports


def test_stdlib_is_recognised_by_name_and_by_file():
    assert imports.is_stdlib_name("os.path") and imports.is_stdlib_name("this") and imports.is_stdlib_name("builtins")
    assert not imports.is_stdlib_name("numpy") and not imports.is_stdlib_name("mypkg.os")
    assert imports.is_stdlib_file(os.__file__) and not imports.is_stdlib_file(None)
    assert not imports.is_stdlib_file(np.__file__) and not imports.is_stdlib_file(yaml.__file__)
    assert not imports.is_stdlib_file(imports.__file__)
    assert imports.is_stdlib_object(dict) and imports.is_stdlib_object(os.system)
    assert not imports.is_stdlib_object(imports.allowed_by)


def test_allow_list_entries_and_prefixes():
    assert imports.refuse_entry("mypkg.models") == ""
    assert "standard library" in imports.refuse_entry("subprocess")
    assert "standard library" in imports.refuse_entry("json.decoder")
    assert "expected a module name" in imports.refuse_entry("../evil") and "expected" in imports.refuse_entry(3)
    assert imports.allowed_by("mypkg.models", ["other", "mypkg"]) == "mypkg"
    assert imports.allowed_by("mypkg", ["mypkg.models"]) is None            # a submodule does not allow its parent
    assert imports.allowed_by("mypkgx.models", ["mypkg"]) is None           # prefixes stop at dots
    assert "this" not in sys.modules and "mypkg" not in sys.modules


def test_a_module_living_in_the_stdlib_directory_is_refused_without_importing_it(tmp_path, monkeypatch):
    (tmp_path / "oddmod_in_stdlib.py").write_text(f"open({str(tmp_path / 'MARKER')!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert imports.refuse_entry("oddmod_in_stdlib.sub") == ""
    monkeypatch.setattr(imports, "_stdlib_dirs", lambda: ({os.path.realpath(tmp_path)}, set()))
    assert "standard library" in imports.refuse_entry("oddmod_in_stdlib.sub")
    assert not (tmp_path / "MARKER").exists() and "oddmod_in_stdlib" not in sys.modules
