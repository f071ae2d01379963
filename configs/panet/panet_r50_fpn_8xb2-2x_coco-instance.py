# PANet R50 on COCO instance at the paper's settings: ShuLiu1993/PANet
# configs/panet/e2e_panet_R-50-FPN_2x_mask.yaml (Detectron.pytorch): 180k iterations at batch 16
# (2x), SGD lr 0.02, x0.1 at 120k and 160k, multi-scale training (short side 400-1200, long
# <= 1400), test at 1000 / 1400. Published (the repository's README, COCO val2017): 38.3 mask AP
# and 43.1 box AP with this config (37.8 / 42.1 in the paper's own implementation). Deviation:
# trained and evaluated on the instance GT derived from COCO panoptic, as every unibench COCO
# instance model (non-overlapping masks).
_base_ = ['../_base_/models/panet_r50_fpn.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/default_runtime.py']
num_things = _base_.num_things_classes  # MODEL.NUM_CLASSES 81 = 80 things + background
max_iters = 180000  # SOLVER.MAX_ITER

model = dict(roi_head=dict(bbox_head=dict(num_classes=num_things),
                           mask_head=dict(num_classes=num_things)))

backend_args = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'task')
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    # TRAIN.SCALES (1200, 1200, 1000, 800, 600, 400), one drawn per image; TRAIN.MAX_SIZE 1400.
    dict(type='RandomChoiceResize', scales=[(1400, s) for s in (1200, 1200, 1000, 800, 600, 400)],
         keep_ratio=True),
    dict(type='DeriveTaskTargets', num_things_classes=num_things),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(1400, 1000), keep_ratio=True),  # TEST.SCALE 1000, MAX_SIZE 1400
    dict(type='PackDetInputs', meta_keys=meta_keys[:5]),
]
# 8 GPUs x 2 = TRAIN.IMS_PER_BATCH 16; images without a non-crowd thing are skipped (Detectron).
train_dataloader = dict(
    batch_size=2,
    dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True),
                 pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metrics=dict(_delete_=True, instance=_base_.val_evaluator.metrics.instance))
test_evaluator = val_evaluator

# SOLVER: SGD momentum 0.9, wd 1e-4; Detectron's biases get 2x lr and no weight decay
# (BIAS_DOUBLE_LR, BIAS_WEIGHT_DECAY False); linear warm-up over 500 iterations from 1/3.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(bias_lr_mult=2.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[120000, 160000], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='TaskValLoop', tasks=['instance'])
test_cfg = dict(type='TaskTestLoop', tasks=['instance'])
