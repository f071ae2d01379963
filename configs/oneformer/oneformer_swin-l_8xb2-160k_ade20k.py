# OneFormer Swin-L (IN-22k, 384) on ADE20K panoptic, 160k iterations, batch 16: SHI-Labs/OneFormer
# configs/ade20k/swin/oneformer_swin_large_bs16_160k.yaml. Published (paper Tab. 1): 49.8 PQ /
# 35.9 AP / 57.0 mIoU, 219M params; our inference model: 218.8M.
# Data (lead's base, not written yet): short side 0.5-2.0 x 640, crop 640 x 640, test 640,
# SSD colour jitter, hflip; add '../_base_/datasets/ade20k_panoptic.py'.
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/schedules/adamw_poly.py',
    '../_base_/default_runtime.py'
]
num_things, num_stuff = 100, 50  # SEM_SEG_HEAD.NUM_CLASSES 150
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES
max_iters = 160000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: R50 -> Swin-L (MODEL.SWIN.*)
        type='mmdet.SwinTransformer',
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
        convert_weights=True,  # loads the official swin_large_patch4_window12_384_22k weights
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/swin_l.pth')
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff,
                       num_queries=num_queries),
    text_mapper=dict(dataset_type='ADE20KPanopticDataset'),
    panoptic_fusion_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff),
    test_cfg=dict(object_mask_thr=0.5,  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K)
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
no_decay = dict(decay_mult=0.0)  # SOLVER.WEIGHT_DECAY_EMBED 0 (nn.Embedding weights)
# The first matching key wins in mmengine, so backbone keys restate the backbone lr x0.1.
backbone_no_decay = dict(lr_mult=0.1, decay_mult=0.0)  # d2: Swin bias tables undecayed
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    query_embed=no_decay, level_embed=no_decay, level_encoding=no_decay, prompt_ctx=no_decay,
    token_embedding=no_decay, relative_position_bias_table=backbone_no_decay,
    absolute_pos_embed=backbone_no_decay)))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
