"""from_pretrained / save_pretrained shared by the architectures in tritorch.models.

A class sets `model_types` (config.json's model_type values it reads), `base_prefix` (the name prefix
of its encoder/decoder inside a head model, e.g. 'bert.'), `ignore_tensors` (file names dropped, such as
non-persistent buffers) and `new_tensors` (a head that a bare base checkpoint lacks and that stays as
initialised); `_build(config, tensors)` may choose constructor options from the file's names.
"""
import os

from .checkpoint import LoadError, assign, read_config, read_tensors, write_folder


class PretrainedMixin:
    model_types = ()
    base_prefix = ""
    ignore_tensors = ()
    new_tensors = ()

    @classmethod
    def _build(cls, config, tensors):
        return cls(config)

    @classmethod
    def from_pretrained(cls, folder, dtype=None, device=None, **kwargs):
        """The model of a Hugging Face folder (config.json + model.safetensors or shards), in eval mode.

        dtype: floating parameters converted to it (default: as stored). device: where they go
        (default: the CPU, where the weights stay memory-mapped from the file). kwargs update config.
        Raises LoadError (one line) for a missing/corrupt file, an architecture this class does not
        implement, or a missing, unexpected or mis-shaped tensor.
        """
        folder = os.fspath(folder)
        config = read_config(folder)
        model_type = config.get("model_type")
        if model_type not in cls.model_types:
            arch = config.get("architectures") or ["?"]
            raise LoadError(f"{folder}/config.json: model_type {model_type!r} ({arch[0]}) is not an architecture "
                            f"{cls.__name__} implements (model_type {' or '.join(map(repr, cls.model_types))})")
        config.update(kwargs)
        tensors = read_tensors(folder)
        allow_missing = ()
        if cls.base_prefix and not any(k.startswith(cls.base_prefix) for k in tensors):
            tensors = {cls.base_prefix + k: v for k, v in tensors.items()}  # a bare base checkpoint
            allow_missing = cls.new_tensors
        try:
            model = cls._build(config, tensors)
        except KeyError as e:
            raise LoadError(f"{folder}/config.json: missing key {e.args[0]!r} for {cls.__name__}") from None
        tied = model.tied_tensors()
        for name in tied:  # the reference omits a tied copy, or writes the same values twice
            tensors.pop(name, None)
        new = assign(model, tensors, folder, dtype=dtype, device=device, ignore=cls.ignore_tensors,
                     allow_missing=allow_missing + tied)
        model._tie_weights()
        new = [n for n in new if n not in tied]
        if new:
            import warnings
            warnings.warn(f"{cls.__name__}.from_pretrained({folder}): {', '.join(new)} newly initialised "
                          "(not in the checkpoint): train them before use", stacklevel=2)
        model.eval()
        return model

    def tied_tensors(self):
        """Names that share another parameter's storage (not saved; the reference omits them)."""
        return ()

    def _tie_weights(self):
        pass

    def save_pretrained(self, folder, shard_bytes=None):
        """Write config.json and model.safetensors (or shards with an index past `shard_bytes`) in the
        layout from_pretrained and the reference library read."""
        state = {k: v for k, v in self.state_dict().items() if k not in self.tied_tensors()}
        write_folder(os.fspath(folder), self.config, state, shard_bytes)
