"""`tritorch generate FOLDER` with a pretrained decoder folder (random GPT-2 / Llama checkpoints and a
small word-level tokenizer.json built with the `tokenizers` package)."""
import os

import pytest

from tritorch.cli import main
from tritorch.models import Tokenizer, generate, load_causal_lm

from .checkpoints import GPT2_CONFIG, LLAMA_CONFIG, gpt2_tensors, llama_tensors, write

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away"]


def _folder(path, config, tensors):
    tokenizers = pytest.importorskip("tokenizers")
    folder = write(path, config, tensors)
    vocab = {w: i for i, w in enumerate(["[UNK]"] + WORDS + [f"w{i}" for i in range(config["vocab_size"] - 11)])}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.decoder = tokenizers.decoders.WordPiece()  # joins words with spaces
    tok.save(os.path.join(folder, "tokenizer.json"))
    return folder


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_generate_pretrained_folder_greedy(tmp_path, rng, capsys, kind):
    config, make = {"gpt2": (GPT2_CONFIG, gpt2_tensors), "llama": (LLAMA_CONFIG, llama_tensors)}[kind]
    folder = _folder(tmp_path, config, make(rng))
    assert main(["generate", folder, "--prompt", "the cat sat", "--temperature", "0", "--max-new-tokens", "6"]) == 0
    out = capsys.readouterr().out.strip()
    tok = Tokenizer.from_pretrained(folder)
    prompt = tok.encode("the cat sat")
    want = tok.decode(prompt + generate(load_causal_lm(folder), prompt, 6))
    assert out == want and out.startswith("the cat sat ") and len(out.split()) == 9


def test_generate_pretrained_sampling_is_seeded(tmp_path, rng, capsys):
    folder = _folder(tmp_path, GPT2_CONFIG, gpt2_tensors(rng))
    args = ["generate", folder, "--prompt", "a dog", "--max-new-tokens", "8", "--top-k", "10", "--top-p", "0.9",
            "--seed", "4"]
    assert main(args) == 0 and main(args) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == second


def test_generate_pretrained_errors_are_one_line(tmp_path, rng, capsys):
    folder = _folder(tmp_path, dict(GPT2_CONFIG, model_type="bert"), gpt2_tensors(rng))
    assert main(["generate", folder, "--prompt", "the"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "model_type 'bert'" in err[0]
    folder = _folder(tmp_path / "b", GPT2_CONFIG, gpt2_tensors(rng))
    assert main(["generate", folder, "--prompt", "the", "--max-new-tokens", "100"]) == 2
    assert "exceed the model's 40 positions" in capsys.readouterr().err
