# Mask2Former Swin-L (IN-22k weights, 384) on Cityscapes panoptic, 90k iterations, batch 16:
# facebookresearch/Mask2Former configs/cityscapes/panoptic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_90k.yaml. Published (MODEL_ZOO.md): 66.6 PQ / 43.6 AP /
# 82.9 mIoU, 216M params (OneFormer paper Tab. 2). The target of the official release
# (tools/convert_checkpoint.py). Trained on panoptic targets only; evaluated on all three tasks
# (AP with COCO's protocol, see the dataset base).
_base_ = ['../_base_/models/mask2former_swin-l.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 19
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
