# Mask2Former R50 on COCO panoptic, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml.
# Published (MODEL_ZOO.md): 51.9 PQ / 41.7 AP / 61.7 mIoU, 44M params. Trained on panoptic targets
# only; evaluated on all three tasks (TEST.{PANOPTIC,INSTANCE,SEMANTIC}_ON), AP on the
# panoptic-derived instance GT.
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes  # NUM_CLASSES 133
max_iters = 368750  # SOLVER.MAX_ITER (50 epochs)

model = dict(
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff))
train_dataloader = dict(  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
    batch_size=2, dataset=dict(tasks=('panoptic', )))
# SOLVER.STEPS x0.1; WARMUP_ITERS 10 with WARMUP_FACTOR 1.0 is no warm-up at all.
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
                        milestones=[327778, 355092], gamma=0.1)]
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
