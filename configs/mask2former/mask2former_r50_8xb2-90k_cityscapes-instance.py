# Mask2Former R50 on Cityscapes instance, 90k iterations, batch 16: facebookresearch/Mask2Former
# configs/cityscapes/instance-segmentation/maskformer2_R50_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 37.4 AP (cityscapesScripts protocol; ours is COCO's, see the dataset base).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
# Instance models classify the thing classes only (their labels come first): NUM_CLASSES 8.
model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    panoptic_head=dict(num_things_classes=_base_.num_things_classes, num_stuff_classes=0))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = test_cfg = dict(tasks=['instance'])
