# OneFormer Swin-L (IN-22k, 384) on Cityscapes panoptic, 90k iterations, batch 16:
# SHI-Labs/OneFormer configs/cityscapes/swin/oneformer_swin_large_bs16_90k.yaml. Published (paper
# Tab. 2): 67.2 PQ / 45.6 AP / 83.0 mIoU, 219M params; our inference model: 218.8M.
# Data: cityscapes_panoptic.py (short side 512-2048, crop 512 x 1024, test 1024 x 2048, SSD
# colour jitter, hflip).
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# SEM_SEG_HEAD.NUM_CLASSES 19, things first in unibench
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES
max_iters = 90000  # SOLVER.MAX_ITER, poly (power 0.9)

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
    text_mapper=dict(dataset_type=_base_.dataset_type),  # class names: its METAINFO
    test_cfg=dict(object_mask_thr=0.8,  # MODEL.TEST.OBJECT_MASK_THRESHOLD
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
# The official train_net.py never clips: its nan_to_num loop exhausts the parameter
# iterator before clip_grad_norm_ (Mask2Former's does clip, at 0.01).
optim_wrapper = dict(clip_grad=None)
