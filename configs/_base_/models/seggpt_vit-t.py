# A CPU-sized painter for the embedded shapes dataset: the paper model (seggpt_vit-l.py) with a
# 128-wide, 6-block ViT (4 heads of 32), patch 16 on 128 x 128 halves (the dataset's size: a
# 256 x 128 canvas of 16 x 8 tokens), decoder width 16, trained from scratch (the absolute
# positions start on the 8 x 8 grid of one half). Patch 16 at full size learns the stuff textures
# faster than patch 8 on images halved to 64 x 64 (same token count; measured on 64 images).
# Proportions of the paper's 24 blocks: the image and target streams run apart through the first
# block (blocks 0-2 of 24) and blocks 1, 2, 4, 5 feed the decoder, the ends of
# the encoder's quarters rounded up (5, 11, 17, 23 of 24).
_base_ = ['./seggpt_vit-l.py']
img_size = 128
patch_size = 16

model = dict(
    backbone=dict(
        img_size=(2 * img_size, img_size),
        patch_size=patch_size,
        embed_dim=128,
        depth=6,
        num_heads=4,
        drop_path_rate=0.0,  # a short schedule from scratch: no stochastic depth
        pretrain_img_size=img_size,
        merge_index=0,
        out_indices=(1, 2, 4, 5)),
    decode_head=dict(decoder_dim=16),
    # The canvas has 128 target patches instead of 1568: blocks of 4 (BEiT's default minimum)
    # to 32 patches; half the samples mask the whole query half, the inference setting, which
    # the short schedule needs to see often (the paper: 10%).
    train_cfg=dict(min_block_patches=4, half_mask_prob=0.5),
    test_cfg=dict(stuff_min_area=64))  # 4096 px of COCO's ~1e6 px image = 0.4%: 64 of 128 x 128
