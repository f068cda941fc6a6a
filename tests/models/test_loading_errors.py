"""Loading a bad model folder: one clear line (LoadError) naming the file and the tensor or key."""
import json
import os

import numpy as np
import pytest

from tritorch.models import BertModel, GPT2LMHeadModel, LlamaForCausalLM, LoadError, load_causal_lm

from .checkpoints import GPT2_CONFIG, LLAMA_CONFIG, gpt2_tensors, llama_tensors, write


def _one_line(excinfo):
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_missing_tensor(tmp_path, rng):
    tensors = gpt2_tensors(rng)
    del tensors["transformer.h.1.mlp.c_fc.bias"]
    with pytest.raises(LoadError) as e:
        GPT2LMHeadModel.from_pretrained(write(tmp_path, GPT2_CONFIG, tensors))
    assert "missing tensor 'transformer.h.1.mlp.c_fc.bias'" in _one_line(e)


def test_unexpected_tensor(tmp_path, rng):
    tensors = llama_tensors(rng)
    tensors["model.layers.0.self_attn.extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(LoadError) as e:
        LlamaForCausalLM.from_pretrained(write(tmp_path, LLAMA_CONFIG, tensors))
    assert "unexpected tensor 'model.layers.0.self_attn.extra.weight'" in _one_line(e)


def test_shape_mismatch(tmp_path, rng):
    config = dict(LLAMA_CONFIG, num_key_value_heads=4)  # the file has 2 kv heads: k_proj is [16, 32]
    with pytest.raises(LoadError) as e:
        LlamaForCausalLM.from_pretrained(write(tmp_path, config, llama_tensors(rng)))
    message = _one_line(e)
    assert "'model.layers.0.self_attn.k_proj.weight' has shape [16, 32]" in message and "expects [32, 32]" in message


def test_unknown_architecture(tmp_path, rng):
    folder = write(tmp_path, dict(GPT2_CONFIG, model_type="t5", architectures=["T5Model"]), gpt2_tensors(rng))
    with pytest.raises(LoadError) as e:
        load_causal_lm(folder)
    assert "model_type 't5'" in _one_line(e)
    with pytest.raises(LoadError) as e:
        BertModel.from_pretrained(folder)
    assert "model_type 't5' (T5Model) is not an architecture BertModel implements" in _one_line(e)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "header", "empty"])
def test_corrupt_file(tmp_path, rng, damage):
    folder = write(tmp_path, GPT2_CONFIG, gpt2_tensors(rng))
    path = os.path.join(folder, "model.safetensors")
    data = open(path, "rb").read()
    damaged = {"truncated": data[:len(data) // 2], "garbage": b"\x00\x01not safetensors" * 10,
               "header": data[:9] + b"X" + data[10:], "empty": b""}[damage]
    open(path, "wb").write(damaged)
    with pytest.raises(LoadError) as e:
        GPT2LMHeadModel.from_pretrained(folder)
    assert "model.safetensors" in _one_line(e) and ("corrupt" in str(e.value) or "not a safetensors" in str(e.value))


def test_missing_files_and_bad_config(tmp_path, rng):
    with pytest.raises(LoadError, match="not a model folder"):
        GPT2LMHeadModel.from_pretrained(tmp_path / "nowhere")
    folder = write(tmp_path / "a", GPT2_CONFIG, gpt2_tensors(rng))
    os.remove(os.path.join(folder, "model.safetensors"))
    open(os.path.join(folder, "pytorch_model.bin"), "wb").write(b"x")
    with pytest.raises(LoadError, match="no model.safetensors.*pytorch_model.bin: convert to safetensors"):
        GPT2LMHeadModel.from_pretrained(folder)
    open(os.path.join(folder, "config.json"), "w").write("{not json")
    with pytest.raises(LoadError, match="config.json is not valid JSON"):
        GPT2LMHeadModel.from_pretrained(folder)
    folder = write(tmp_path / "b", {k: v for k, v in GPT2_CONFIG.items() if k != "n_head"}, gpt2_tensors(rng))
    with pytest.raises(LoadError, match="missing key 'n_head'"):
        GPT2LMHeadModel.from_pretrained(folder)


def test_sharded_index_errors(tmp_path, rng):
    model = GPT2LMHeadModel.from_pretrained(write(tmp_path / "src", GPT2_CONFIG, gpt2_tensors(rng)))
    out = tmp_path / "sharded"
    model.save_pretrained(out, shard_bytes=20_000)
    index = json.loads((out / "model.safetensors.index.json").read_text())
    first = sorted(set(index["weight_map"].values()))[0]
    os.remove(out / first)
    with pytest.raises(LoadError, match=f"names shard {first}, which is missing"):
        GPT2LMHeadModel.from_pretrained(out)
    index["weight_map"]["transformer.wte.weight"] = "../elsewhere.safetensors"
    (out / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(LoadError, match="is not a file in the folder"):
        GPT2LMHeadModel.from_pretrained(out)


def test_loaded_weights_are_memory_mapped_not_copied(tmp_path, rng):
    from tritorch.models.checkpoint import read_tensors
    folder = write(tmp_path, GPT2_CONFIG, gpt2_tensors(rng))
    tensors = read_tensors(folder)
    base = tensors["transformer.wte.weight"]
    while getattr(base, "base", None) is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    model = GPT2LMHeadModel.from_pretrained(folder)
    assert np.shares_memory(model.transformer.wte.weight.detach().numpy(), tensors["transformer.wte.weight"]) is False
    # (two reads map the file twice; within one load the parameter is a view of the map:)
    weight = model.transformer.h[0].attn.c_attn.weight.detach().numpy()
    owner = weight
    while getattr(owner, "base", None) is not None and not isinstance(owner, np.memmap):
        owner = owner.base
    assert isinstance(owner, np.memmap)
