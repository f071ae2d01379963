"""OneFormer's text mapper (training only); follows SHI-Labs/OneFormer oneformer/oneformer_model.py,
oneformer/modeling/transformer_decoder/text_transformer.py and the unified dataset mapper (MIT).
"""
from typing import List, Optional, Sequence

import torch
from mmdet.structures import SampleList
from mmengine.model import BaseModule
from open_clip.transformer import QuickGELU, TextTransformer
from torch import Tensor, nn

from unibench.models.layers.mlp import mlp
from unibench.models.layers.tokenizer import CONTEXT_LENGTH, tokenize
from unibench.registry import MODELS

TASK_TEXTS = dict(semantic='a semantic photo', instance='an instance photo',
                  panoptic='a panoptic photo')


@MODELS.register_module()
class TextMapper(BaseModule):
    """Maps each training image's target list to ``N`` text queries ``Q_text``.

    OneFormer (Jain et al., CVPR 2023), Sec. 3.3: a text ``"a photo with a {class}"`` per target
    mask, padded to ``N_text = N - N_ctx`` entries with the task's ``"a {task} photo"``, is
    tokenized, encoded by a CLIP-style text transformer (causal mask, end-of-text pooling; the
    official ``TextTransformer`` has no output projection), projected by a 2-layer MLP, and
    concatenated with ``N_ctx`` learnable context embeddings. As the official mapper, the texts
    list the classes in increasing class index, one entry per target mask.

    It is built for training only: the segmentor drops it (and its checkpoint keys) at inference.

    Args:
        class_names: Names of the ``K`` contiguous classes. By default each sample's
            ``metainfo['classes']`` (the dataset's class names, which unibench's panoptic
            datasets attach to every training sample) are used, so configs never restate them.
        num_queries: ``N``, the number of object queries.
        embed_dims: Width of the object queries (output width).
        num_ctx: ``N_ctx`` learnable context embeddings.
        width: Text transformer width.
        num_layers: Text transformer layers.
        num_heads: Attention heads; default ``width // 64`` as the official code.
        vocab_size: CLIP BPE vocabulary size.
        context_length: Token sequence length.
        proj_layers: Layers of the projector MLP.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, class_names: Optional[Sequence[str]] = None, num_queries: int,
                 embed_dims: int = 256,
                 num_ctx: int = 16, width: int = 256, num_layers: int = 6,
                 num_heads: Optional[int] = None, vocab_size: int = 49408,
                 context_length: int = CONTEXT_LENGTH, proj_layers: int = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_queries <= num_ctx:
            raise ValueError(f'TextMapper: num_queries ({num_queries}) must exceed num_ctx '
                             f'({num_ctx})')
        self.class_names = list(class_names) if class_names is not None else None
        self.num_texts = num_queries - num_ctx
        self.context_length = context_length
        # open_clip's TextTransformer with no projection, QuickGELU and arg-max (EOT) pooling has
        # the official parameterisation and CLIP initialisation.
        self.encoder = TextTransformer(
            context_length=context_length, vocab_size=vocab_size, width=width,
            heads=num_heads or width // 64, layers=num_layers, output_dim=None,
            proj_type='none', pool_type='argmax', act_layer=QuickGELU)
        self.projector = mlp(width, embed_dims, embed_dims, proj_layers)
        self.prompt_ctx = nn.Embedding(num_ctx, embed_dims) if num_ctx > 0 else None

    def forward(self, batch_data_samples: SampleList) -> Tensor:
        """Text queries of a batch.

        Args:
            batch_data_samples: Samples with ``gt_instances.labels`` and ``metainfo['task']``.

        Returns:
            ``(B, N, embed_dims)`` text queries: ``N_text`` encoded texts, then ``N_ctx`` context.
        """
        texts = [text for sample in batch_data_samples for text in self.texts_for(sample)]
        # Most entries repeat (padding texts, one text per mask of a class): encoding each
        # distinct text once and gathering is exact and ~10x cheaper.
        position = {text: i for i, text in enumerate(dict.fromkeys(texts))}
        device = self.encoder.positional_embedding.device
        ids = tokenize(list(position), self.context_length).to(device)
        index = torch.tensor([position[text] for text in texts], device=device)
        queries = self.projector(self.encoder(ids))[index]
        queries = queries.reshape(len(batch_data_samples), self.num_texts, -1)
        if self.prompt_ctx is not None:
            ctx = self.prompt_ctx.weight[None].expand(len(queries), -1, -1)
            queries = torch.cat([queries, ctx], dim=1)
        return queries

    def texts_for(self, data_sample) -> List[str]:
        """The ``N_text`` texts of one sample (the official ``_get_{task}_dict`` text list)."""
        task = data_sample.metainfo['task']
        if task not in TASK_TEXTS:
            raise ValueError(f'TextMapper: unknown task {task!r}; expected one of '
                             f'{sorted(TASK_TEXTS)}')
        labels = sorted(int(c) for c in data_sample.gt_instances.labels)[:self.num_texts]
        names = data_sample.metainfo.get('classes', self.class_names)
        if names is None:
            raise KeyError("TextMapper: the sample's metainfo has no 'classes' and no "
                           "class_names were given: add 'classes' to PackDetInputs' meta_keys "
                           '(unibench datasets attach them to training samples)')
        texts = [f'a photo with a {names[c]}' for c in labels]
        return texts + [TASK_TEXTS[task]] * (self.num_texts - len(texts))

