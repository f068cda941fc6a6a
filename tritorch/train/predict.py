"""Use a trained classifier: ``load_run(RUN_DIR)`` -> a Predictor with the model and its preprocessing.

    run = load_run("runs/sentiment_lstm")                  # best checkpoint, eval mode, on the CPU
    run.predict(["a gripping, funny film", "dull"])        # [{'label': '1', 'probability': 0.93, ...}, ...]
    run = load_run("runs/digits_mlp", checkpoint="last")
    run.predict(np.load("digit.npy"), top_k=3)             # one image, or a batch of them

The preprocessing is what the run recorded: RUN_DIR/config.yaml (the dataset's tokenizer, lower-casing,
flatten) and RUN_DIR/data_info.json (vocabulary, classes, max_length, input_shape). Nothing is read
from the training data files, so a run directory copied to another machine predicts the same.

Inputs: text datasets take strings; image datasets take arrays (numpy or tensors) of one image or a
batch: uint8 pixels are scaled to [0, 1] (/255), floating arrays are taken as they are (the datasets
give [0, 1]). A dataset class of your own (or a pretrained-model dataset) plugs in by defining

    @classmethod
    def predict_preprocessor(cls, args, info, run_dir):   # args: the train split's constructor arguments
        return lambda inputs: [model_input_1, ...]         # batched tensors the model is called with
    predict_kind = "text"                                  # optional: takes strings (`--text`), or 'image'
"""
import numpy as np

import tritorch

from .errors import ConfigError

LM_DATASETS = ("CharText",)


class PredictError(ValueError):
    """The run or the inputs cannot be used for prediction (one line, saying what to do)."""


def _text(args, info, run_dir):
    from ..datasets.text import Vocab, word_tokenize
    if "vocab" not in info:
        raise PredictError(f"{run_dir}/data_info.json has no vocab: cannot encode text for this run")
    tokenizer = args.get("tokenizer", "word")
    tokenize = {"word": word_tokenize, "char": list}.get(tokenizer)
    if tokenize is None:
        raise PredictError(f"the run's tokenizer {tokenizer!r} is not 'word' or 'char': encode the text yourself "
                           "and call run.model(ids, lengths)")
    vocab, lower = Vocab(info["vocab"][2:]), args.get("lowercase", True)
    max_length = info.get("max_length", args.get("max_length", 128))

    def encode(texts):
        if isinstance(texts, str):
            texts = [texts]
        ids = np.zeros((len(texts), max_length), np.int64)
        lengths = np.zeros(len(texts), np.int64)
        for row, text in enumerate(texts):
            if not isinstance(text, str):
                raise PredictError(f"this run classifies text: expected strings, got {type(text).__name__}")
            tokens = vocab.lookup(tokenize(text.lower() if lower else text)[:max_length])
            ids[row, :len(tokens)], lengths[row] = tokens, len(tokens)
        return [tritorch.from_numpy(ids), tritorch.from_numpy(lengths)]
    return encode


def _image_shape(name, args, info):
    if "input_shape" in info:
        return tuple(info["input_shape"])
    if name == "Digits":
        return (64,) if args.get("flatten") else (1, 8, 8)
    if name == "MNIST":
        return (1, 28, 28)
    return None


def _image(name):
    def factory(args, info, run_dir):
        shape = _image_shape(name, args, info)
        size = int(np.prod(shape))

        def prepare(images):
            a = images.numpy() if isinstance(images, tritorch.Tensor) else np.asarray(images)
            if a.dtype.kind not in "uif":
                raise PredictError(f"this run classifies images: expected a numeric array, got {a.dtype}")
            a = a.astype(np.float32) / np.float32(255) if a.dtype == np.uint8 else a.astype(np.float32)
            if a.size == size:
                return [tritorch.from_numpy(a.reshape((1,) + shape))]
            if a.ndim >= 2 and int(np.prod(a.shape[1:])) == size:
                return [tritorch.from_numpy(np.ascontiguousarray(a.reshape((a.shape[0],) + shape)))]
            raise PredictError(f"images of shape {list(a.shape)} do not fit this run's input {list(shape)} "
                               f"({size} values per image, or [N, ...] for a batch)")
        return prepare
    return factory


BUILTIN = {"TextClassification": _text, "Digits": _image("Digits"), "MNIST": _image("MNIST")}


class Predictor:
    """A trained run ready to predict: `model` (eval mode), `classes`, `preprocess`, `predict`.

    Attributes:
        model (nn.Module): the checkpoint's weights, in eval mode, on `device`.
        checkpoint (str): the checkpoint file loaded.  config (dict): the run's validated config.
        info (dict): RUN_DIR/data_info.json.  kind (str): 'text' or 'image' (or your dataset's name).
        classes (list of str): label names in id order.
    """

    def __init__(self, run_dir, checkpoint="best", device="cpu", allow_import=()):
        from . import registry
        from .data import split_args
        from .runs import load_model, run_config
        self.run_dir = run_dir
        self.config = run_config(run_dir, allow_import)
        data = self.config["data"]
        name = data["dataset"]["type"]
        allowed = tuple(self.config["imports"]) + tuple(allow_import)
        cls = registry.lookup("dataset", name, allowed)
        if cls.__name__ in LM_DATASETS or self.config["model"]["type"] in ("CharGPT",):
            raise PredictError(f"{run_dir} is a language model ({cls.__name__}): use `tritorch generate {run_dir}` "
                               "to sample text from it")
        args = split_args(cls, data, "train") or {}
        self.model, self.info, self.checkpoint = load_model(run_dir, checkpoint, device, allow_import)
        self.device = device
        if hasattr(cls, "predict_preprocessor"):
            self.preprocess = cls.predict_preprocessor(args, self.info, run_dir)
            self.kind = getattr(cls, "predict_kind", cls.__name__)  # 'text': strings, --text works
        elif cls.__name__ in BUILTIN:
            self.preprocess = BUILTIN[cls.__name__](args, self.info, run_dir)
            self.kind = "text" if cls.__name__ == "TextClassification" else "image"
        else:
            raise PredictError(f"tritorch predict does not know how to prepare inputs for dataset {name}: give "
                               "the class a classmethod predict_preprocessor(args, info, run_dir) (see "
                               "tritorch/train/predict.py)")
        classes = self.info.get("classes")
        self.classes = [str(c) for c in classes] if classes else None

    def logits(self, inputs, batch_size=256):
        """The model's float32 output [N, C] for `inputs` (strings or images, one or a batch)."""
        batch = self.preprocess(inputs)
        outs = []
        with tritorch.no_grad():
            for start in range(0, batch[0].shape[0], batch_size):
                out = self.model(*[x[start:start + batch_size].to(self.device) for x in batch])
                if out.dim() != 2:
                    raise PredictError(f"the model returned shape {list(out.shape)}; predict expects class "
                                       "scores [N, C]")
                outs.append(out.float().cpu())
        return tritorch.cat(outs) if len(outs) > 1 else outs[0]

    def predict(self, inputs, top_k=1, batch_size=256):
        """One dict per input: `label`, `index`, `probability` (softmax) and `top` (the `top_k` most
        likely as [{'label', 'index', 'probability'}], most likely first)."""
        probs = tritorch.softmax(self.logits(inputs, batch_size), -1).numpy()
        results = []
        for row in probs:
            order = np.argsort(-row, kind="stable")[:max(1, min(top_k, len(row)))]
            top = [{"label": self._name(i), "index": int(i), "probability": float(row[i])} for i in order]
            results.append({**top[0], "top": top})
        return results

    def _name(self, index):
        return self.classes[index] if self.classes and index < len(self.classes) else str(int(index))

    def __repr__(self):
        return f"Predictor({self.run_dir!r}, checkpoint={self.checkpoint!r}, kind={self.kind!r})"


def load_run(run_dir, checkpoint="best", device="cpu", allow_import=()):
    """A Predictor for RUN_DIR: the model of `checkpoint` ('best' (falling back to 'last'), 'last' or a
    file) in eval mode on `device`, and the preprocessing the run recorded.

    Raises:
        FileNotFoundError: not a run directory, or no such checkpoint file.
        PredictError: a language-model run (use ``tritorch generate``), or a dataset without preprocessing.
    """
    try:
        return Predictor(run_dir, checkpoint, device, allow_import)
    except ConfigError as e:
        raise PredictError(f"{run_dir}/config.yaml: {' '.join(str(e).split())}") from None
