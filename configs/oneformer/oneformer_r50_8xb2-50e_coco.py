# OneFormer R50 on COCO panoptic, 50 epochs (368,750 iterations), batch 16: SHI-Labs/OneFormer
# configs/coco/oneformer_R50_bs16_50ep.yaml + Base-COCO-UnifiedSegmentation.yaml. Published
# (paper App. Tab. I, N = 150): 51.5 PQ / 42.5 AP / 61.2 mIoU; our inference model: 47.3M.
# Data: coco_panoptic.py (LSJ 1024 x 1024, scale 0.1-2.0, hflip; AP on instance GT derived from
# panoptic, as coco_2017_val_panoptic2instance).
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# SEM_SEG_HEAD.NUM_CLASSES 133
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes
num_queries = 150  # ONE_FORMER.NUM_OBJECT_QUERIES
max_iters = 368750  # SOLVER.MAX_ITER (50 epochs)

model = dict(
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff,
                       num_queries=num_queries),
    text_mapper=dict(dataset_type=_base_.dataset_type),  # class names: its METAINFO
    test_cfg=dict(object_mask_thr=0.8,  # MODEL.TEST.OBJECT_MASK_THRESHOLD
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
# SOLVER.STEPS x0.1 (gamma 0.1); WARMUP_ITERS 10 with WARMUP_FACTOR 1.0 is no warm-up at all.
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
                        milestones=[327778, 355092], gamma=0.1)]
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
# The official train_net.py never clips: its nan_to_num loop exhausts the parameter
# iterator before clip_grad_norm_ (Mask2Former's does clip, at 0.01).
optim_wrapper = dict(clip_grad=None)
