# A CPU-sized OneFormer for the embedded shapes dataset, sized as mask2former_r18-small.py so the
# two compare like for like: a ResNet-18 trained from scratch (BN trainable), width 128 instead
# of 256 (text mapper too), fewer queries, encoder and decoder layers, and a point count matched
# to 128 x 128 crops. Everything else (dropouts, query init, losses) is oneformer_r50.py. Widths
# are nested in mmdet's layer configs, hence the repeated `embed_dims` below.
_base_ = ['./oneformer_r50.py']
embed_dims = 128
num_heads = 4  # head width 32, as in the paper (256 / 8)
num_queries = 32  # at most ~10 segments per image; N_text = 32 - 16 context entries
num_points = 4096  # 1/4 of a 128 x 128 crop (the paper samples 112 x 112 of 1024 x 1024)
attn = dict(embed_dims=embed_dims, num_heads=num_heads)
ffn = dict(embed_dims=embed_dims, feedforward_channels=8 * embed_dims)  # 2048 / 256

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False),
    panoptic_head=dict(
        num_queries=num_queries,
        embed_dims=embed_dims,
        pixel_decoder=dict(
            encoder=dict(num_layers=2, layer_cfg=dict(
                self_attn_cfg=attn,
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=4 * embed_dims))),
            positional_encoding=dict(num_feats=embed_dims // 2)),
        query_init=dict(layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)),
        transformer_decoder=dict(
            num_layers=6,  # two rounds over the 3 scales
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)),
        criterion=dict(num_points=num_points)),
    text_mapper=dict(width=embed_dims),  # heads = width // 64 = 2
    test_cfg=dict(max_per_image=num_queries))
