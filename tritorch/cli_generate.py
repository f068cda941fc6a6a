"""`tritorch generate RUN_DIR --prompt TEXT`: sample text from a trained character model, or from a
pretrained decoder folder (GPT-2 / Llama-style: config.json + model.safetensors + tokenizer.json).

The model is rebuilt from RUN_DIR/config.yaml, its vocabulary read from RUN_DIR/data_info.json
(written at training time, so the corpus is not re-read), and the best checkpoint loaded.
"""
import sys


def add_arguments(parser):
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="a run of a character model (e.g. char_transformer), or a pretrained model folder "
                             "(config.json + model.safetensors + tokenizer.json; GPT-2 or Llama-style)")
    parser.add_argument("--prompt", default="\n", help="the text to continue (default: a newline)")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="characters to generate (default: 200)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="softmax temperature; 0 = always the most likely character (default: 0.8)")
    parser.add_argument("--top-k", type=int, default=40, help="sample among the k most likely (default: 40; 0 = all)")
    parser.add_argument("--top-p", type=float, default=None,
                        help="pretrained folders: sample from the smallest set reaching this probability")
    parser.add_argument("--seed", type=int, default=None, help="random seed for reproducible samples")
    parser.add_argument("--checkpoint", default="best", metavar="best|last|FILE",
                        help="which checkpoint (default: best, else last)")
    parser.add_argument("--allow-import", action="append", default=[], metavar="MODULE",
                        help="let the config name classes from MODULE (your own package, e.g. mypkg.models); "
                             "repeatable. Without it (or an `imports:` list in the config) only tritorch's "
                             "classes can be named")


def run(args):
    import os
    if os.path.isfile(os.path.join(args.run_dir, "config.json")) and not os.path.isfile(
            os.path.join(args.run_dir, "config.yaml")):
        return run_pretrained(args)
    from tritorch.train import ConfigError
    from tritorch.train.generate import sample
    from tritorch.train.runs import load_model
    try:
        model, info, _ = load_model(args.run_dir, args.checkpoint, allow_import=args.allow_import)
    except (FileNotFoundError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    vocab = info.get("vocab")
    if not vocab or "block_size" not in info and not hasattr(model, "block_size"):
        print(f"error: {args.run_dir} is not a character language model run (no vocabulary in data_info.json)",
              file=sys.stderr)
        return 2
    stoi = {ch: i for i, ch in enumerate(vocab)}
    missing = sorted({c for c in args.prompt if c not in stoi})
    if missing:
        print(f"error: the prompt has characters the model never saw: {''.join(missing)!r}", file=sys.stderr)
        return 2
    if args.max_new_tokens < 0:
        print("error: --max-new-tokens must be >= 0", file=sys.stderr)
        return 2
    try:
        ids = sample(model, [stoi[c] for c in args.prompt] or [0], args.max_new_tokens, args.temperature,
                     args.top_k or None, getattr(model, "block_size", info.get("block_size")), args.seed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(args.prompt + "".join(vocab[i] for i in ids))
    return 0


def run_pretrained(args):
    """Continue --prompt with a Hugging Face decoder folder (tokens, not characters)."""
    from tritorch.models import LoadError, Tokenizer, generate, load_causal_lm
    if args.max_new_tokens < 0:
        print("error: --max-new-tokens must be >= 0", file=sys.stderr)
        return 2
    try:
        model = load_causal_lm(args.run_dir)
        tok = Tokenizer.from_pretrained(args.run_dir)
        prompt = tok.encode(args.prompt)
        ids = generate(model, prompt, args.max_new_tokens, do_sample=args.temperature > 0,
                       temperature=args.temperature, top_k=args.top_k or None, top_p=args.top_p, seed=args.seed,
                       eos_token_id=model.config.get("eos_token_id"))
    except (LoadError, ImportError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(tok.decode(prompt + ids))
    return 0
