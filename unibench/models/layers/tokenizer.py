"""CLIP BPE tokenization, as SHI-Labs/OneFormer oneformer/data/tokenizer.py (MIT) uses it.

open_clip ships the same BPE vocabulary (``bpe_simple_vocab_16e6.txt.gz``) in its wheel, so no
download is needed. Both the task token ("the task is panoptic") and the text mapper's texts go
through :func:`tokenize`.
"""
from functools import lru_cache
from typing import Sequence, Union

import torch
from torch import Tensor

SOT_ID = 49406  # '<start_of_text>'
EOT_ID = 49407  # '<end_of_text>': the highest id, so ``argmax`` over ids finds it
CONTEXT_LENGTH = 77


def tokenize(texts: Union[str, Sequence[str]], context_length: int = CONTEXT_LENGTH) -> Tensor:
    """Lower-cased CLIP BPE ids with start/end tokens, zero-padded (or truncated) to a length.

    As the official ``Tokenize``: a text longer than ``context_length`` keeps its first tokens and
    ends with the end-of-text id.

    Args:
        texts: One text or a sequence of ``T`` texts.
        context_length: Length ``L`` of every row.

    Returns:
        ``(T, L)`` int64 ids (``(1, L)`` for a single string).
    """
    if isinstance(texts, str):
        texts = [texts]
    rows = [_encode(text, context_length) for text in texts]
    return torch.tensor(rows, dtype=torch.long).reshape(len(rows), context_length)


@lru_cache(maxsize=4096)
def _encode(text: str, context_length: int) -> tuple:
    # A few hundred distinct strings ("a photo with a {class}", the task prompts) recur every
    # iteration, so caching the BPE of each avoids re-tokenizing thousands of texts per batch.
    ids = [SOT_ID] + _tokenizer().encode(text) + [EOT_ID]
    if len(ids) > context_length:
        ids = ids[:context_length]
        ids[-1] = EOT_ID
    return tuple(ids + [0] * (context_length - len(ids)))


@lru_cache(maxsize=1)
def _tokenizer():
    # Imported lazily: open_clip is a heavy import and only models with text inputs need it.
    from open_clip.tokenizer import SimpleTokenizer
    return SimpleTokenizer()
