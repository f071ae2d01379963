# A test-sized Mask2Former (tests/ build it in seconds and overfit one batch in a few more): the
# paper model (mask2former_r50.py) with a ResNet-18 of base width 16 (16-128 channels instead of
# 64-512) trained from scratch, width 32, 8 queries, one pixel-decoder encoder layer with 2
# sampling points, 2 masked-attention layers and 256 points per mask (the 16 x 16 mask logits of
# a 64 x 64 image). Not a benchmark model: its numbers mean nothing; the code paths are the same.
_base_ = ['./mask2former_r50.py']
embed_dims = 32
num_heads = 4
num_queries = 8
attn = dict(embed_dims=embed_dims, num_heads=num_heads)
ffn = dict(embed_dims=embed_dims, feedforward_channels=2 * embed_dims)

model = dict(
    # zero_init_residual=False: mmdet zero-initialises each block's last BN otherwise, which
    # leaves the residual branches without gradient at step 0 (the gradient tests check them).
    backbone=dict(depth=18, base_channels=16, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, zero_init_residual=False),
    panoptic_head=dict(
        embed_dims=embed_dims,
        num_queries=num_queries,
        pixel_decoder=dict(
            norm_cfg=dict(num_groups=8),
            encoder=dict(num_layers=1, layer_cfg=dict(
                self_attn_cfg=dict(attn, num_points=2), ffn_cfg=ffn)),
            positional_encoding=dict(num_feats=embed_dims // 2)),
        transformer_decoder=dict(
            num_layers=2,
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)),
        criterion=dict(num_points=256)),
    test_cfg=dict(max_per_image=num_queries))
