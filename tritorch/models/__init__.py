"""Pretrained architectures loaded from Hugging Face model folders (config.json + safetensors).

    from tritorch.models import BertModel, Tokenizer, mean_pool
    model = BertModel.from_pretrained(folder)
    tok = Tokenizer.from_pretrained(folder)                # needs `pip install tritorch[pretrained]`

Architectures: BertModel, BertForSequenceClassification (BERT, MiniLM), GPT2LMHeadModel, LlamaForCausalLM
(RMSNorm, rotary embeddings, SwiGLU, grouped-query attention); load_causal_lm(folder) picks a decoder by config.json.
"""
from .checkpoint import LoadError  # noqa: F401
from .bert import BertForSequenceClassification, BertModel, encode_sentences, mean_pool  # noqa: F401
from .tokenizer import Tokenizer  # noqa: F401
from .gpt2 import GPT2LMHeadModel  # noqa: F401
from .llama import LlamaForCausalLM  # noqa: F401
from .generation import generate, load_causal_lm  # noqa: F401
