# Mask2Former R50 on ADE20K semantic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/semantic-segmentation/maskformer2_R50_bs16_160k.yaml. Published (MODEL_ZOO.md):
# 47.2 mIoU (49.2 multi-scale). Crop 512 x 512 (the dataset base).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_semantic.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
# Semantic data: every class is "stuff" to the model (one mask per class present), NUM_CLASSES 150.
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                                num_stuff_classes=_base_.num_stuff_classes))
# TEST.SEMANTIC_ON only: the task loops evaluate mIoU alone.
val_cfg = test_cfg = dict(tasks=['semantic'])
