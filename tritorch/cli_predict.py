"""`tritorch predict RUN_DIR (--text TEXT ... | --input FILE) [--top-k K] [--checkpoint C] [--json]`.

Classifies with a trained run (see tritorch/train/predict.py): texts for a text-classification run
(--text, or --input with one text per line), images for an image run (--input: a .npy array, an IDX
file like MNIST's, or a PNG when Pillow is installed). Prints one line per input: the label, its
probability and, with --top-k, the next most likely; --json prints one JSON object per input.
"""
import json
import os
import sys

EPILOG = """examples:
  tritorch predict runs/sentiment_lstm --text "a gripping, funny film" --text "dull and long"
  tritorch predict runs/sentiment_lstm --input reviews.txt --json        one review per line
  tritorch predict runs/digits_mlp --input digit.npy --top-k 3           [8, 8], [64] or a batch [N, ...]
  tritorch predict runs/mnist_cnn --input t10k-images-idx3-ubyte.gz      an IDX file: every image in it"""


def add_arguments(parser):
    import argparse
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a directory written by `tritorch train`")
    parser.add_argument("--text", action="append", default=[], help="a text to classify (repeatable)")
    parser.add_argument("--input", metavar="FILE", help="texts (one per line), or images: .npy, IDX, .png")
    parser.add_argument("--top-k", type=int, default=1, metavar="K", help="show the K most likely labels")
    parser.add_argument("--checkpoint", default="best", metavar="best|last|FILE",
                        help="which checkpoint (default: best, else last)")
    parser.add_argument("--json", action="store_true", help="one JSON object per input")
    parser.add_argument("--allow-import", action="append", default=[], metavar="MODULE",
                        help="let the run's config name classes from MODULE (as for `tritorch train`)")


def read_images(path):
    """A numpy array of the images in a .npy, IDX (.gz) or PNG file."""
    import numpy as np
    lower = path.lower()
    if lower.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if lower.endswith(".png"):
        try:
            from PIL import Image
        except ImportError:
            raise SystemExit(f"error: reading {path} needs Pillow: pip install pillow (or give a .npy or IDX "
                             "file)") from None
        with Image.open(path) as img:
            return np.asarray(img.convert("L"))
    from tritorch.datasets.mnist import read_idx
    return read_idx(path)


def _inputs(args, kind):
    if args.text:
        return args.text
    if kind == "text":
        with open(args.input, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    return read_images(args.input)


def _line(name, result):
    rest = ", ".join(f"{t['label']} {t['probability']:.3f}" for t in result["top"][1:])
    return f"{name}\t{result['label']}\t{result['probability']:.3f}" + (f"\t({rest})" if rest else "")


def run(args):
    from tritorch.train.predict import PredictError, load_run
    if bool(args.text) == bool(args.input):
        print("error: give --text TEXT (repeatable) or --input FILE", file=sys.stderr)
        return 2
    if args.top_k < 1:
        print(f"error: --top-k should be at least 1, got {args.top_k}", file=sys.stderr)
        return 2
    if args.input and not os.path.exists(args.input):
        print(f"error: {os.path.abspath(args.input)}: no such file", file=sys.stderr)
        return 2
    try:
        predictor = load_run(args.run_dir, args.checkpoint, allow_import=args.allow_import)
        inputs = _inputs(args, predictor.kind)
        if args.text and predictor.kind != "text":
            raise PredictError(f"{args.run_dir} classifies {predictor.kind}s, not text: give --input FILE")
        results = predictor.predict(inputs, top_k=args.top_k)
    except (PredictError, RuntimeError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    names = list(inputs) if isinstance(inputs, list) else [f"{args.input}[{i}]" for i in range(len(results))]
    for name, result in zip(names, results):
        print(json.dumps({"input": name, **result}) if args.json else _line(name, result))
    return 0
