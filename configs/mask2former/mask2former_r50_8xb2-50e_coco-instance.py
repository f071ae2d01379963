# Mask2Former R50 on COCO instance, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former configs/coco/instance-segmentation/maskformer2_R50_bs16_50ep.yaml.
# Published (MODEL_ZOO.md): 43.7 AP on the official instances_val2017. Deviation: trained and
# evaluated on instance GT derived from COCO panoptic (non-overlapping masks), as OneFormer's AP.
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_step_50e.py', '../_base_/default_runtime.py']
# Instance models classify the thing classes only (their labels come first): NUM_CLASSES 80.
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes, num_stuff_classes=0))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = test_cfg = dict(tasks=['instance'])
