# OneFormer R50 on Cityscapes panoptic, 90k iterations, batch 16: SHI-Labs/OneFormer
# configs/cityscapes/oneformer_R50_bs16_90k.yaml (no published R50 Cityscapes result; Swin-L and
# ConvNeXt-L are in paper Tab. 2). Data: cityscapes_panoptic.py (short side 512-2048,
# crop 512 x 1024, test 1024 x 2048, SSD colour jitter, hflip).
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# SEM_SEG_HEAD.NUM_CLASSES 19, things first in unibench
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes
num_queries = 150  # ONE_FORMER.NUM_OBJECT_QUERIES
max_iters = 90000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff,
                       num_queries=num_queries),
    text_mapper=dict(dataset_type=_base_.dataset_type),  # class names: its METAINFO
    test_cfg=dict(object_mask_thr=0.8,  # MODEL.TEST.OBJECT_MASK_THRESHOLD
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
# The official train_net.py never clips: its nan_to_num loop exhausts the parameter
# iterator before clip_grad_norm_ (Mask2Former's does clip, at 0.01).
optim_wrapper = dict(clip_grad=None)
