"""Text generation for the decoders (GPT2LMHeadModel, LlamaForCausalLM): greedy, top-k and top-p
(nucleus) sampling, with a key/value cache or by recomputing the whole prefix each step.

    ids = generate(model, [464, 3290], max_new_tokens=20)                      # greedy
    ids = generate(model, prompt_ids, 50, do_sample=True, temperature=0.8, top_k=40, top_p=0.95, seed=0)

Sampling draws from a numpy Generator seeded by `seed`, on the float64 softmax of the last logits, so
the cached and uncached paths give the same tokens for the same seed.
"""
import numpy as np

import tritorch


def next_token(logits, do_sample=False, temperature=1.0, top_k=None, top_p=None, rng=None):
    """One id from logits (numpy [vocab]): the argmax, or a draw restricted to the top_k most likely
    and to the smallest set whose probability reaches top_p."""
    logits = np.asarray(logits, np.float64)
    if not do_sample or temperature == 0:
        return int(np.argmax(logits))
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    z = logits / temperature
    order = np.argsort(-z, kind="stable")
    if top_k:
        order = order[:top_k]
    p = np.exp(z[order] - z[order[0]])
    p /= p.sum()
    if top_p is not None and top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
        order, p = order[:keep], p[:keep] / p[:keep].sum()
    return int(order[rng.choice(len(order), p=p)])


def generate(model, input_ids, max_new_tokens, do_sample=False, temperature=1.0, top_k=None, top_p=None,
             use_cache=True, seed=None, eos_token_id=None):
    """The new token ids (a list of int) continuing `input_ids` (a list of ints, or int64 [1, T]).

    use_cache: feed only the newest token with the cache of the earlier ones (the default), or
    recompute the whole prefix each step (the reference the cache is tested against).
    """
    if hasattr(input_ids, "tolist"):
        input_ids = input_ids.reshape(-1).tolist()
    ids = [int(i) for i in input_ids]
    if not ids:
        raise ValueError("generate: the prompt has no tokens")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    limit = getattr(model, "max_positions", None)
    if limit is not None and len(ids) + max_new_tokens > limit:
        raise ValueError(f"generate: {len(ids)} prompt + {max_new_tokens} new tokens exceed the model's "
                         f"{limit} positions")
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    new, cache = [], None
    was_training = model.training
    model.eval()
    with tritorch.no_grad():
        for _ in range(max_new_tokens):
            if use_cache:
                feed = ids if cache is None else ids[-1:]
                logits, cache = model(tritorch.tensor([feed], device=device), past_key_values=cache, use_cache=True)
            else:
                logits = model(tritorch.tensor([ids], device=device))
            token = next_token(logits[0, -1].float().cpu().numpy(), do_sample, temperature, top_k, top_p, rng)
            ids.append(token)
            new.append(token)
            if eos_token_id is not None and token == eos_token_id:
                break
    model.train(was_training)
    return new


def load_causal_lm(folder, dtype=None, device=None):
    """GPT2LMHeadModel or LlamaForCausalLM, chosen by the folder's config.json model_type."""
    from .checkpoint import LoadError, read_config
    from .gpt2 import GPT2LMHeadModel
    from .llama import LlamaForCausalLM
    kinds = {"gpt2": GPT2LMHeadModel, "llama": LlamaForCausalLM}
    model_type = read_config(folder).get("model_type")
    if model_type not in kinds:
        raise LoadError(f"{folder}/config.json: model_type {model_type!r} is not a decoder tritorch implements "
                        f"({', '.join(sorted(kinds))})")
    return kinds[model_type].from_pretrained(folder, dtype=dtype, device=device)
