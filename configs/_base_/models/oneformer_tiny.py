# A test-sized OneFormer, sized as mask2former_tiny.py: the paper model (oneformer_r50.py) with a
# ResNet-18 of base width 16 trained from scratch, width 32, 8 queries (2 of them the text
# mapper's context), one pixel-decoder encoder layer with 2 sampling points, 2 masked-attention
# layers, a 1-layer 32-wide text encoder and 256 points per mask. Dropout is off everywhere, so a
# train-mode forward is deterministic. Not a benchmark model; the code paths are the paper's.
_base_ = ['./oneformer_r50.py']
embed_dims = 32
num_heads = 4
num_queries = 8
no_dropout = dict(attn_drop=0.0, proj_drop=0.0, dropout_layer=dict(type='Dropout', drop_prob=0.0))
attn = dict(embed_dims=embed_dims, num_heads=num_heads, **no_dropout)
ffn = dict(embed_dims=embed_dims, feedforward_channels=2 * embed_dims, ffn_drop=0.0)
layer = dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)

model = dict(
    # zero_init_residual=False: mmdet zero-initialises each block's last BN otherwise, which
    # leaves the residual branches without gradient at step 0 (the gradient tests check them).
    backbone=dict(depth=18, base_channels=16, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, zero_init_residual=False),
    panoptic_head=dict(
        num_queries=num_queries,
        embed_dims=embed_dims,
        pixel_decoder=dict(
            norm_cfg=dict(num_groups=8),
            encoder=dict(num_layers=1, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=embed_dims, num_heads=num_heads, num_points=2,
                                   dropout=0.0),
                ffn_cfg=ffn)),
            positional_encoding=dict(num_feats=embed_dims // 2)),
        query_init=dict(layer_cfg=layer),
        transformer_decoder=dict(num_layers=2, layer_cfg=layer),
        criterion=dict(num_points=256)),
    text_mapper=dict(width=embed_dims, num_layers=1, num_heads=2, num_ctx=2),
    test_cfg=dict(max_per_image=num_queries))
