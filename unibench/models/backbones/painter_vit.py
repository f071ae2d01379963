"""SegGPT's ViT encoder; follows baaivision/Painter SegGPT/SegGPT_inference/models_seggpt.py
(commit e7824926, MIT) and its ``util/vitdet_utils.py`` (detectron2 ViTDet, Apache-2.0).

Parameter names match the official checkpoint (``patch_embed.proj``, ``blocks.i.attn.rel_pos_h``,
``mask_token``, ``segment_token_x``, ``type_token_cls``, ...), so its encoder weights load by
prefix.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from timm.layers import DropPath, Mlp, trunc_normal_
from torch import Tensor, nn

from unibench.registry import MODELS

SEG_TYPES = ('semantic', 'instance')  # index = the type token (type_token_cls, type_token_ins)


@MODELS.register_module()
class PainterViT(BaseModule):
    """Plain ViT with SegGPT's in-context inputs (Wang et al., "SegGPT", ICCV 2023, §3).

    :meth:`forward_pair` is SegGPT's ``forward_encoder``: the image canvas and the target canvas
    (``(N, 3, 2H, W)`` each, prompt on top of query) are patch-embedded separately, masked target
    patches are replaced by ``mask_token``, segment tokens, the absolute position (interpolated
    from the pre-training grid) and the type token (semantic / instance) are added, the two
    streams run through blocks ``0..merge_index`` side by side in the batch and are averaged after
    block ``merge_index``. Every block uses global attention with decomposed relative positions
    (the official factory passes ``window_block_indexes`` as a tuple of lists, so no block is
    windowed). With ``num_prompts > 1`` the query half of every attention output is averaged over
    the prompts of each query (the paper's feature ensemble, §3.2; ``Block.forward`` ``merge``).

    :meth:`forward` is the same encoder as a plain single-stream backbone (``(B, 3, H, W)`` ->
    ``out_indices`` feature maps), so other models can use it through the registry.

    Args:
        img_size: ``(H, W)`` of the canvas; sets the relative-position tables (official
            ``input_size``); other sizes interpolate them.
        patch_size: Patch size (16 in the paper).
        embed_dim: Token width (1024 for ViT-L).
        depth: Number of blocks (24).
        num_heads: Attention heads (16).
        mlp_ratio: MLP hidden width / ``embed_dim`` (4).
        qkv_bias: Bias on the qkv projection (True).
        drop_path_rate: Stochastic depth at the last block, linear from 0 (0.1).
        use_rel_pos: Decomposed relative position bias in every block (True).
        pretrain_img_size: Square image size of the absolute position table (224: MAE).
        pretrain_use_cls_token: The table has a leading cls position, which is dropped.
        merge_index: Block after which the image and target streams are averaged (2).
        out_indices: Blocks whose LayerNorm'd outputs go to the decoder ((5, 11, 17, 23)).
        init_cfg: mmengine init config (e.g. ``Pretrained``).
    """

    def __init__(self, *, img_size: Sequence[int], patch_size: int = 16, embed_dim: int = 1024,
                 depth: int = 24, num_heads: int = 16, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_path_rate: float = 0.1, use_rel_pos: bool = True,
                 pretrain_img_size: int = 224, pretrain_use_cls_token: bool = True,
                 merge_index: int = 2, out_indices: Sequence[int] = (5, 11, 17, 23),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not all(merge_index < i < depth for i in out_indices):
            raise ValueError(f'PainterViT: out_indices {tuple(out_indices)} must lie after '
                             f'merge_index {merge_index} and before depth {depth}')
        if any(s % patch_size for s in img_size):
            raise ValueError(f'PainterViT: img_size {tuple(img_size)} is not a multiple of '
                             f'patch_size {patch_size}')
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.merge_index = merge_index
        self.out_indices = tuple(out_indices)
        self.pretrain_use_cls_token = pretrain_use_cls_token
        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        token = lambda: nn.Parameter(torch.zeros(1, 1, 1, embed_dim))  # noqa: E731
        self.mask_token = token()
        self.segment_token_x = token()  # image stream
        self.segment_token_y = token()  # target stream
        self.type_token_cls = token()  # semantic colouring
        self.type_token_ins = token()  # instance colouring
        num_positions = (pretrain_img_size // patch_size)**2 + int(pretrain_use_cls_token)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_positions, embed_dim))
        grid = (img_size[0] // patch_size, img_size[1] // patch_size)
        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]  # torch.linspace
        self.blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, drop_path=dpr[i],
                  use_rel_pos=use_rel_pos, input_size=grid) for i in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.channels: List[int] = [embed_dim] * len(self.out_indices)
        self.strides: List[int] = [patch_size] * len(self.out_indices)
        self._official_init()

    def _official_init(self) -> None:
        trunc_normal_(self.pos_embed, std=0.02)
        for token in (self.mask_token, self.segment_token_x, self.segment_token_y,
                      self.type_token_cls, self.type_token_ins):
            nn.init.normal_(token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_pair(self, imgs: Tensor, tgts: Tensor, mask: Tensor, seg_type: Tensor,
                     num_prompts: int = 1) -> List[Tensor]:
        """SegGPT's encoder on image and target canvases.

        Args:
            imgs: ``(N, 3, 2H, W)`` normalised image canvases, ``N = B * num_prompts`` with the
                prompts of one query adjacent.
            tgts: ``(N, 3, 2H, W)`` normalised target canvases.
            mask: ``(N, 2H / p, W / p)`` bool, True = target patch replaced by ``mask_token``.
            seg_type: ``(N,)`` long, index into :data:`SEG_TYPES`.
            num_prompts: Prompts per query; > 1 turns on the feature ensemble.

        Returns:
            ``len(out_indices)`` LayerNorm'd token maps ``(N, 2H / p, W / p, C)``.
        """
        x, y = self.patch_embed(imgs), self.patch_embed(tgts)
        w = mask[..., None].to(y.dtype)
        y = y * (1 - w) + self.mask_token * w
        pos = self.abs_pos(x.shape[1:3])
        type_emb = torch.where(seg_type.view(-1, 1, 1, 1) == 1, self.type_token_ins,
                               self.type_token_cls)
        x = x + self.segment_token_x + pos + type_emb
        y = y + self.segment_token_y + pos + type_emb
        z = torch.cat([x, y], dim=0)
        outs = []
        for idx, blk in enumerate(self.blocks):
            z = blk(z, num_prompts=num_prompts)
            if idx == self.merge_index:
                z = (z[:len(z) // 2] + z[len(z) // 2:]) * 0.5
            if idx in self.out_indices:
                outs.append(self.norm(z))
        return outs

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Plain backbone: ``(B, 3, H, W)`` -> ``(B, C, H / p, W / p)`` per out index."""
        z = self.patch_embed(x)
        z = z + self.abs_pos(z.shape[1:3])
        outs = []
        for idx, blk in enumerate(self.blocks):
            z = blk(z)
            if idx in self.out_indices:
                outs.append(self.norm(z).permute(0, 3, 1, 2).contiguous())
        return tuple(outs)

    def abs_pos(self, hw: Tuple[int, int]) -> Tensor:
        """``(1, h, w, C)`` absolute positions, bicubic from the square pre-training grid
        (vitdet_utils ``get_abs_pos``)."""
        pos = self.pos_embed[:, 1:] if self.pretrain_use_cls_token else self.pos_embed
        size = int(math.sqrt(pos.shape[1]))
        pos = pos.reshape(1, size, size, -1)
        if (size, size) == tuple(hw):
            return pos
        pos = F.interpolate(pos.permute(0, 3, 1, 2), size=tuple(hw), mode='bicubic',
                            align_corners=False)
        return pos.permute(0, 2, 3, 1)


class PatchEmbed(nn.Module):
    """Non-overlapping patch projection to channels-last tokens ``(N, h, w, C)``."""

    def __init__(self, patch_size: int, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class Block(nn.Module):
    """Pre-norm transformer block with the feature ensemble after attention (official
    ``Block``, no window attention, no residual conv block: SegGPT uses neither)."""

    def __init__(self, dim: int, num_heads: int, *, mlp_ratio: float, qkv_bias: bool,
                 drop_path: float, use_rel_pos: bool, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias, use_rel_pos=use_rel_pos,
                              input_size=input_size)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio), act_layer=nn.GELU)

    def forward(self, x: Tensor, num_prompts: int = 1) -> Tensor:
        """Args: x: ``(N, h, w, C)``; num_prompts: adjacent samples sharing one query."""
        a = self.attn(self.norm1(x))
        if num_prompts > 1:
            a = ensemble_query_half(a, num_prompts)
        x = x + self.drop_path(a)
        return x + self.drop_path(self.mlp(self.norm2(x)))


def ensemble_query_half(x: Tensor, num_prompts: int) -> Tensor:
    """Averages the bottom (query) half of ``(N, h, w, C)`` over groups of ``num_prompts``
    adjacent samples; the top (prompt) half is kept. The official code averages over the whole
    batch (one query at a time); grouping serves a batch of queries. Before the stream merge the
    batch is ``[image stream; target stream]`` and each stream holds whole groups, so the grouping
    is the same."""
    prompt, query = x.split(x.shape[1] // 2, dim=1)
    n = query.shape[0]
    if n % num_prompts:
        raise ValueError(f'batch of {n} is not a multiple of num_prompts={num_prompts}')
    grouped = query.reshape(n // num_prompts, num_prompts, *query.shape[1:])
    query = grouped.mean(dim=1, keepdim=True).expand_as(grouped).reshape(query.shape)
    return torch.cat([prompt, query], dim=1)


class Attention(nn.Module):
    """Multi-head self-attention with decomposed relative positions (MViTv2 / ViTDet): the bias
    ``q . R_h[i - i'] + q . R_w[j - j']`` is added to the logits; torch's fused attention takes it
    as the additive mask."""

    def __init__(self, dim: int, num_heads: int, *, qkv_bias: bool, use_rel_pos: bool,
                 input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.use_rel_pos = use_rel_pos
        if use_rel_pos:  # zero-initialised, as the official rel_pos_zero_init=True
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, head_dim))

    def forward(self, x: Tensor) -> Tensor:
        """Args: x: ``(N, h, w, C)``. Returns: ``(N, h, w, C)``."""
        n, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(n, h * w, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (N, heads, h * w, head_dim)
        bias = None
        if self.use_rel_pos:
            bias = decomposed_rel_pos(q, self.rel_pos_h, self.rel_pos_w, (h, w))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(n, h, w, -1))


def decomposed_rel_pos(q: Tensor, rel_pos_h: Tensor, rel_pos_w: Tensor,
                       size: Tuple[int, int]) -> Tensor:
    """Relative-position logits ``(N, heads, h * w, h * w)`` for queries ``q`` of a ``size``
    grid attending to the same grid (vitdet_utils ``add_decomposed_rel_pos``, q = k size)."""
    h, w = size
    r_h, r_w = rel_pos_table(h, rel_pos_h), rel_pos_table(w, rel_pos_w)
    r_q = q.reshape(*q.shape[:2], h, w, q.shape[-1])
    rel_h = torch.einsum('nahwc,hkc->nahwk', r_q, r_h)
    rel_w = torch.einsum('nahwc,wkc->nahwk', r_q, r_w)
    bias = rel_h[..., :, None] + rel_w[..., None, :]  # (N, heads, h, w, h', w')
    return bias.reshape(*q.shape[:2], h * w, h * w)


def rel_pos_table(size: int, rel_pos: Tensor) -> Tensor:
    """``(size, size, C)`` embeddings of the offsets ``i - j``, with the table linearly resized
    when it was made for another size (vitdet_utils ``get_rel_pos``)."""
    length = 2 * size - 1
    if rel_pos.shape[0] != length:
        rel_pos = F.interpolate(rel_pos.T[None], size=length, mode='linear')[0].T
    coords = torch.arange(size, device=rel_pos.device)
    return rel_pos[coords[:, None] - coords[None, :] + size - 1]
