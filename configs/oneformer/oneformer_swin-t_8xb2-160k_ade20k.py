# OneFormer Swin-T (IN-1k, 224) on ADE20K panoptic, 160k iterations, batch 16: SHI-Labs/OneFormer
# configs/ade20k/swin/oneformer_swin_tiny_bs16_160k.yaml (the R50 ADE20K recipe with MODEL.SWIN:
# 96, [2, 2, 6, 2], [3, 6, 12, 24], window 7, drop-path 0.3; 150 queries). The target of the HF
# release shi-labs/oneformer_ade20k_swin_tiny (tools/convert_checkpoint.py --from hf); no
# published number in the paper's tables.
_base_ = ['./oneformer_r50_8xb2-160k_ade20k.py']
model = dict(backbone=dict(
    _delete_=True,  # backbone swap: R50 -> Swin-T
    type='mmdet.SwinTransformer',
    pretrain_img_size=224,
    embed_dims=96,  # EMBED_DIM
    depths=[2, 2, 6, 2],  # DEPTHS
    num_heads=[3, 6, 12, 24],  # NUM_HEADS
    window_size=7,  # WINDOW_SIZE
    mlp_ratio=4,
    qkv_bias=True,
    drop_path_rate=0.3,  # DROP_PATH_RATE
    patch_norm=True,
    use_abs_pos_embed=False,  # APE
    out_indices=(0, 1, 2, 3),
    convert_weights=True,  # loads the official swin_tiny_patch4_window7_224 weights
    init_cfg=None))  # no download: dict(type='Pretrained', checkpoint='/local/swin_t.pth')
