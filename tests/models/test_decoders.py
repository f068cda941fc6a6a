"""GPT-2 and Llama-style decoders from random checkpoints in the reference layout: logits against a
float64 numpy reference, save_pretrained round trip (single file and shards), KV-cache generation."""
import numpy as np
import pytest

import tritorch
from tritorch.models import GPT2LMHeadModel, LlamaForCausalLM, generate, load_causal_lm

from .checkpoints import (GPT2_CONFIG, LLAMA_CONFIG, gpt2_reference, gpt2_tensors, llama_reference, llama_tensors,
                          write)

CASES = {"gpt2": (GPT2LMHeadModel, GPT2_CONFIG, gpt2_tensors, gpt2_reference),
         "llama": (LlamaForCausalLM, LLAMA_CONFIG, llama_tensors, llama_reference)}


@pytest.fixture(params=sorted(CASES))
def decoder(request, tmp_path, rng):
    cls, config, make, reference = CASES[request.param]
    tensors = make(rng)
    return cls, write(tmp_path / request.param, config, tensors), tensors, reference, config


def test_logits_match_float64_reference(decoder, rng):
    cls, folder, tensors, reference, config = decoder
    model = cls.from_pretrained(folder)
    ids = rng.integers(0, config["vocab_size"], 13)
    got = model(tritorch.tensor(ids[None])).detach().numpy()[0]
    np.testing.assert_allclose(got, reference(tensors, ids), rtol=1e-4, atol=1e-4)


def test_llama_grouped_query_heads_are_not_interchangeable(rng, tmp_path):
    """With 4 query heads on 2 kv heads, swapping the kv heads changes the logits (the grouping is used)."""
    tensors = llama_tensors(rng)
    ids = rng.integers(0, LLAMA_CONFIG["vocab_size"], 9)
    swapped = dict(tensors)
    for name in ("model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight"):
        w = tensors[name]
        swapped[name] = np.concatenate([w[w.shape[0] // 2:], w[:w.shape[0] // 2]])
    a = LlamaForCausalLM.from_pretrained(write(tmp_path / "a", LLAMA_CONFIG, tensors))(tritorch.tensor(ids[None]))
    b = LlamaForCausalLM.from_pretrained(write(tmp_path / "b", LLAMA_CONFIG, swapped))(tritorch.tensor(ids[None]))
    np.testing.assert_allclose(b.detach().numpy()[0], llama_reference(swapped, ids), rtol=1e-4, atol=1e-4)
    assert np.abs(a.detach().numpy() - b.detach().numpy()).max() > 1e-3


@pytest.mark.parametrize("shard_bytes", [None, 20_000])
def test_save_pretrained_round_trip(decoder, tmp_path, rng, shard_bytes):
    cls, folder, tensors, _, config = decoder
    model = cls.from_pretrained(folder)
    out = tmp_path / "saved"
    model.save_pretrained(out, shard_bytes=shard_bytes)
    from safetensors.numpy import load_file
    files = sorted(p.name for p in out.iterdir())
    if shard_bytes:
        assert "model.safetensors.index.json" in files and len([f for f in files if f.startswith("model-")]) > 1
        saved = {}
        for f in files:
            if f.startswith("model-"):
                saved.update(load_file(out / f))
    else:
        saved = load_file(out / "model.safetensors")
    assert sorted(saved) == sorted(tensors)  # same names: no tied lm_head copy for GPT-2, no extras
    for name, value in tensors.items():
        np.testing.assert_array_equal(saved[name], value)
    again = load_causal_lm(str(out))
    assert type(again) is cls
    ids = tritorch.tensor(rng.integers(0, config["vocab_size"], (2, 7)))
    np.testing.assert_array_equal(again(ids).detach().numpy(), model(ids).detach().numpy())


def test_cache_gives_the_same_tokens_as_recomputing(decoder, rng):
    cls, folder, _, _, config = decoder
    model = cls.from_pretrained(folder)
    prompt = rng.integers(0, config["vocab_size"], 5).tolist()
    greedy = generate(model, prompt, 12)
    assert greedy == generate(model, prompt, 12, use_cache=False)
    # the greedy tokens are the float64 reference's argmax at every step
    sampled = generate(model, prompt, 12, do_sample=True, temperature=1.5, top_k=20, top_p=0.9, seed=3)
    assert sampled == generate(model, prompt, 12, do_sample=True, temperature=1.5, top_k=20, top_p=0.9, seed=3,
                               use_cache=False)
    assert len(greedy) == len(sampled) == 12


def test_greedy_follows_the_reference_argmax(decoder, rng):
    cls, folder, tensors, reference, config = decoder
    model = cls.from_pretrained(folder)
    prompt = rng.integers(0, config["vocab_size"], 4).tolist()
    new = generate(model, prompt, 6)
    ids = list(prompt)
    for token in new:
        logits = reference(tensors, np.asarray(ids))[-1]
        top2 = np.sort(logits)[-2:]
        if top2[1] - top2[0] > 1e-3:  # a near tie may go either way in float32
            assert token == int(np.argmax(logits))
        ids.append(token)


def test_cached_logits_match_full_forward(decoder, rng):
    cls, folder, _, _, config = decoder
    model = cls.from_pretrained(folder)
    ids = tritorch.tensor(rng.integers(0, config["vocab_size"], (2, 9)))
    full = model(ids).detach().numpy()
    logits, cache = model(ids[:, :5], use_cache=True)
    step, cache = model(ids[:, 5:7], past_key_values=cache, use_cache=True)
    last, _ = model(ids[:, 7:], past_key_values=cache, use_cache=True)
    got = np.concatenate([logits.detach().numpy(), step.detach().numpy(), last.detach().numpy()], 1)
    np.testing.assert_allclose(got, full, rtol=1e-5, atol=1e-5)


def test_top_k_one_is_greedy_and_top_p_keeps_the_nucleus():
    from tritorch.models.generation import next_token
    logits = np.array([0.0, 3.0, 2.9, -1.0])
    rng = np.random.default_rng(0)
    assert {next_token(logits, True, 1.0, top_k=1, rng=rng) for _ in range(20)} == {1}
    # p = softmax: [0.025, 0.51, 0.46, 0.009]; top_p=0.5 keeps only the most likely
    assert {next_token(logits, True, 1.0, top_p=0.5, rng=rng) for _ in range(20)} == {1}
    assert {next_token(logits, True, 1.0, top_p=0.9, rng=rng) for _ in range(200)} == {1, 2}


def test_generate_past_the_positions_is_an_error(tmp_path, rng):
    model = GPT2LMHeadModel.from_pretrained(write(tmp_path, GPT2_CONFIG, gpt2_tensors(rng)))
    with pytest.raises(ValueError, match="exceed the model's 40 positions"):
        generate(model, [1] * 30, 20)


def test_from_pretrained_dtype_converts_floating_parameters(tmp_path, rng):
    tensors = llama_tensors(rng)
    model = LlamaForCausalLM.from_pretrained(write(tmp_path, LLAMA_CONFIG, tensors), dtype=tritorch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {tritorch.bfloat16}
    ids = rng.integers(0, LLAMA_CONFIG["vocab_size"], 6)
    got = model(tritorch.tensor(ids[None])).float().detach().numpy()[0]
    want = llama_reference(tensors, ids)
    assert np.abs(got - want).max() < 0.1 * np.abs(want).max()  # bfloat16: ~3 significant digits
    assert np.abs(got - want).max() > 0  # and it did run in bfloat16
