# Mask2Former R50 on Cityscapes panoptic, 90k iterations, batch 16: facebookresearch/Mask2Former
# configs/cityscapes/panoptic-segmentation/maskformer2_R50_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 62.1 PQ / 37.3 AP / 77.5 mIoU. Trained on panoptic targets only; evaluated on
# all three tasks (AP with COCO's protocol, see the dataset base).
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes  # NUM_CLASSES 19
max_iters = 90000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff))
train_dataloader = dict(  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
    batch_size=2, dataset=dict(tasks=('panoptic', )))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
