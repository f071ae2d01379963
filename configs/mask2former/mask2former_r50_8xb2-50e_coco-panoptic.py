# Mask2Former R50 on COCO panoptic, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml.
# Published (MODEL_ZOO.md): 51.9 PQ / 41.7 AP / 61.7 mIoU, 44M params. Trained on panoptic targets
# only; evaluated on all three tasks (TEST.{PANOPTIC,INSTANCE,SEMANTIC}_ON), AP on the
# panoptic-derived instance GT.
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_step_50e.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 133
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
