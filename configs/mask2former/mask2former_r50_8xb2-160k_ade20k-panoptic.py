# Mask2Former R50 on ADE20K panoptic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/panoptic-segmentation/maskformer2_R50_bs16_160k.yaml. Published (MODEL_ZOO.md):
# 39.7 PQ / 26.5 AP / 46.1 mIoU. Trained on panoptic targets only; evaluated on all three tasks.
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_panoptic_640.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 150
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
