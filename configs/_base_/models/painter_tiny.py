# A test-sized SegGPT-style painter: seggpt_vit-t.py (streams merged after block 0, no stochastic
# depth, its training masks) with a 32-wide, 3-block ViT (2 heads of 16, MLP ratio 2), patch 8 on
# 64 x 64 halves (a 128 x 64 canvas of 16 x 8 tokens, as the shapes64 leaf), blocks 1 and 2
# feeding a decoder of width 8. Not a benchmark model; the code paths are the paper's.
_base_ = ['./seggpt_vit-t.py']
img_size = 64

model = dict(
    backbone=dict(img_size=(2 * img_size, img_size), patch_size=8, embed_dim=32, depth=3,
                  num_heads=2, mlp_ratio=2.0, pretrain_img_size=img_size, out_indices=(1, 2)),
    decode_head=dict(decoder_dim=8),
    test_cfg=dict(stuff_min_area=16))
