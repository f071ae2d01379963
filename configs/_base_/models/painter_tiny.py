# A test-sized SegGPT-style painter: the paper model (seggpt_vit-l.py) with a 32-wide, 3-block ViT
# (2 heads of 16, MLP ratio 2), patch 8 on 64 x 64 halves (a 128 x 64 canvas of 16 x 8 tokens, as
# seggpt_vit-t.py's shapes64 leaf), streams merged after block 0, blocks 1 and 2 feeding a
# decoder of width 8, no stochastic depth. Not a benchmark model; the code paths are the paper's.
_base_ = ['./seggpt_vit-l.py']
img_size = 64
patch_size = 8

model = dict(
    backbone=dict(
        img_size=(2 * img_size, img_size),
        patch_size=patch_size,
        embed_dim=32,
        depth=3,
        num_heads=2,
        mlp_ratio=2.0,
        drop_path_rate=0.0,
        pretrain_img_size=img_size,
        merge_index=0,
        out_indices=(1, 2)),
    decode_head=dict(decoder_dim=8),
    # 128 target patches: blocks of 4 to 32 of them (seggpt_vit-t.py).
    train_cfg=dict(min_block_patches=4, half_mask_prob=0.5),
    test_cfg=dict(stuff_min_area=16))
