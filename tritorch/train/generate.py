"""Sampling from a language model: logits [B, T, V] for token ids [B, T] -> more tokens.

    ids = sample(model, [5, 9, 2], max_new_tokens=200, temperature=0.8, top_k=40, block_size=128)
"""
import tritorch


def sample(model, prompt_ids, max_new_tokens, temperature=1.0, top_k=None, block_size=None, seed=None,
           device="cpu"):
    """Extend `prompt_ids` (list of int) by `max_new_tokens` sampled tokens; returns the new ids only.

    temperature 0 picks the most likely token (greedy); top_k keeps the k most likely before sampling.
    The context is cropped to the last `block_size` tokens (the model's longest).
    """
    if temperature < 0:
        raise ValueError(f"temperature should be >= 0, got {temperature}")
    if top_k is not None and top_k <= 0:
        raise ValueError(f"top_k should be a positive integer, got {top_k}")
    gen = tritorch.Generator().manual_seed(seed if seed is not None else tritorch.seed())
    idx = tritorch.tensor([list(prompt_ids)], dtype=tritorch.int64, device=device)
    model.eval()
    new = []
    with tritorch.no_grad():
        for _ in range(max_new_tokens):
            context = idx if block_size is None else idx[:, -block_size:]
            logits = model(context)[:, -1, :].float()                      # (1, V)
            if temperature == 0:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = tritorch.topk(logits, min(top_k, logits.shape[-1]))[0][:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                nxt = tritorch.multinomial(tritorch.softmax(logits, -1).cpu(), 1, generator=gen).to(device)
            idx = tritorch.cat([idx, nxt], 1)
            new.append(int(nxt.item()))
    return new
