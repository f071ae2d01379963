# Mask2Former R50 on Cityscapes semantic, 90k iterations, batch 16: facebookresearch/Mask2Former
# configs/cityscapes/semantic-segmentation/maskformer2_R50_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 79.4 mIoU (82.2 multi-scale).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/cityscapes_semantic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
# Semantic data: every class is "stuff" to the model (one mask per class present), NUM_CLASSES 19.
model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes))
# TEST.SEMANTIC_ON only: the task loops evaluate mIoU alone.
val_cfg = test_cfg = dict(tasks=['semantic'])
