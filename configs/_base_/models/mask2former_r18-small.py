# A CPU-sized Mask2Former for the embedded shapes dataset: the paper model (mask2former_r50.py)
# with a ResNet-18 trained from scratch (BN trainable), width 128 instead of 256, fewer queries,
# encoder and decoder layers, and a point count matched to 128 x 128 crops. Widths are nested
# in mmdet's layer configs, hence the repeated `embed_dims` below.
# Measured (docs/cpu_budget.md): the panoptic leaf's full 3k schedule, 43 min on 2 CPU cores,
# reaches PQ 6.5 (all stuff), AP 7.9, mIoU 21.6; five minutes (~350 iterations) give PQ 0.
_base_ = ['./mask2former_r50.py']
embed_dims = 128
num_heads = 4  # head width 32, as in the paper (256 / 8)
num_queries = 32  # at most ~10 segments per image
num_points = 4096  # 1/4 of a 128 x 128 crop (the paper samples 112 x 112 of 1024 x 1024)
attn = dict(embed_dims=embed_dims, num_heads=num_heads)

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False),
    panoptic_head=dict(
        embed_dims=embed_dims,
        num_queries=num_queries,
        pixel_decoder=dict(
            encoder=dict(num_layers=2, layer_cfg=dict(
                self_attn_cfg=attn,
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=4 * embed_dims))),
            positional_encoding=dict(num_feats=embed_dims // 2)),
        transformer_decoder=dict(
            num_layers=6,  # two rounds over the 3 scales
            layer_cfg=dict(
                self_attn_cfg=attn, cross_attn_cfg=attn,
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=8 * embed_dims))),
        criterion=dict(num_points=num_points)))
