# The Swin backbones of the official Mask2Former and OneFormer configs (MODEL.SWIN.*), named once
# for both families: Swin-L (patch 4, window 12 at 384; mask2former_swin-l.py, oneformer_swin-l.py;
# Mask2Former's maskformer2_swin_large_IN21k_384_* start from the IN-22k weights
# swin_large_patch4_window12_384_22k, OneFormer's oneformer_swin_large_* from the IN-22k->1k
# fine-tuned swin_large_patch4_window12_384_22kto1k: one architecture), Swin-T and Swin-S (window 7,
# IN-1k at 224) and Swin-B (window 12 at 384; IN-1k or IN-22k weights, one architecture).
swin_l = dict(
    type='SwinTransformer',  # mmdet's, with a Pretrained load that must cover it
    pretrain_img_size=384,  # PRETRAIN_IMG_SIZE
    embed_dims=192,  # EMBED_DIM
    depths=[2, 2, 18, 2],  # DEPTHS
    num_heads=[6, 12, 24, 48],  # NUM_HEADS
    window_size=12,  # WINDOW_SIZE
    mlp_ratio=4,
    qkv_bias=True,
    drop_path_rate=0.3,  # DROP_PATH_RATE
    patch_norm=True,  # PATCH_NORM
    use_abs_pos_embed=False,  # APE
    out_indices=(0, 1, 2, 3),
    convert_weights=True,  # loads the official microsoft/Swin-Transformer release files
    init_cfg=None)  # no download: dict(type='Pretrained', checkpoint='/local/swin_l.pth')
swin_t = dict(swin_l, pretrain_img_size=224, embed_dims=96, depths=[2, 2, 6, 2],
              num_heads=[3, 6, 12, 24], window_size=7)  # swin_tiny_patch4_window7_224 weights
swin_s = dict(swin_t, depths=[2, 2, 18, 2])  # swin_small_patch4_window7_224
swin_b = dict(swin_l, embed_dims=128, num_heads=[4, 8, 16, 32])  # swin_base_patch4_window12_384
