# Mask2Former R50 on ADE20K instance, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/instance-segmentation/maskformer2_R50_bs16_160k.yaml. Published (MODEL_ZOO.md):
# 26.4 AP. Instance GT derived from the panoptic annotation (the official ade20k_instance_*.json
# comes from the same instance masks).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_panoptic_640.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
# Instance models classify the thing classes only (their labels come first): NUM_CLASSES 100.
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes, num_stuff_classes=0))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = test_cfg = dict(tasks=['instance'])
