# Mask2Former R50 on COCO instance, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former configs/coco/instance-segmentation/maskformer2_R50_bs16_50ep.yaml.
# Published (MODEL_ZOO.md): 43.7 AP on the official instances_val2017. Deviation: trained and
# evaluated on instance GT derived from COCO panoptic (non-overlapping masks), as OneFormer's AP.
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# Instance models classify the thing classes only (their labels come first).
num_things, num_stuff = _base_.num_things_classes, 0  # NUM_CLASSES 80
max_iters = 368750  # SOLVER.MAX_ITER (50 epochs)

model = dict(
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
    batch_size=2,
    dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = dict(tasks=['instance'])
test_cfg = dict(tasks=['instance'])
# SOLVER.STEPS x0.1; WARMUP_ITERS 10 with WARMUP_FACTOR 1.0 is no warm-up at all.
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
                        milestones=[327778, 355092], gamma=0.1)]
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
