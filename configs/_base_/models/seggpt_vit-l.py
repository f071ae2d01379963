# SegGPT ViT-L/16 at the paper's settings: baaivision/Painter SegGPT/SegGPT_inference/
# models_seggpt.py `seggpt_vit_large_patch16_input896x448` and SegGPT (ICCV 2023) §4.1.
# Parameters (checked in tests/models/test_painter.py): encoder 303.56M (the paper: "ViT-L,
# 307M", a rounded ViT-L figure; timm's ViT-L/16 has 304.3M), pixel decoder 67.16M (almost all
# of it decoder_embed, 4 x 1024 -> 16 x 16 x 64).
# Dataset-dependent values (num_classes, num_things_classes, location_cells, prompts) are set by
# the leaf.
img_size = 448  # each half of the 896 x 448 canvas: prompt on top, query below
patch_size = 16

model = dict(
    type='Painter',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet, RGB (seggpt_engine imagenet_mean * 255)
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),  # every image is resized to img_size x img_size
    backbone=dict(
        type='PainterViT',
        img_size=(2 * img_size, img_size),
        patch_size=patch_size,
        embed_dim=1024,
        depth=24,
        num_heads=16,
        mlp_ratio=4.0,
        drop_path_rate=0.1,
        pretrain_img_size=224,  # MAE pre-training grid of the absolute positions
        merge_index=2,  # streams averaged after block 2
        out_indices=(5, 11, 17, 23),
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/mae.pth')
    decode_head=dict(type='PainterHead', decoder_dim=64),
    loss=dict(type='MaskedSmoothL1Loss', beta=0.01),
    # Painter's target masking (train_painter_vit_large.sh, main_train.py): 784 of the 1568
    # target patches in blocks of 16-392 patches; 10% of samples mask the whole query half.
    train_cfg=dict(mask_ratio=0.5, max_block_ratio=0.25, min_block_patches=16,
                   half_mask_prob=0.1),
    test_cfg=dict(
        num_prompts=1,  # k; SegGPT's ablation (Tab. 4) uses up to 8 with the feature ensemble
        ensemble='feature',  # or 'spatial' (k = n * n prompts tiled in the prompt half)
        prompt_seed=0,
        prompt_split='train',
        inst_dist_thr=19.0,  # Painter eval/coco_panoptic/eval.sh DIST_THR: background threshold
        max_per_image=100,
        stuff_min_area=4096))  # detectron2 combine_semantic_and_instance_outputs, 800-1333 px
