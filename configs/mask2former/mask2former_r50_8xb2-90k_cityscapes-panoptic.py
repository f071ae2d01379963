# Mask2Former R50 on Cityscapes panoptic, 90k iterations, batch 16: facebookresearch/Mask2Former
# configs/cityscapes/panoptic-segmentation/maskformer2_R50_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 62.1 PQ / 37.3 AP / 77.5 mIoU. Trained on panoptic targets only; evaluated on
# all three tasks (AP with COCO's protocol, see the dataset base).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 19
                       num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
