# Mask2Former Swin-L (IN-22k weights, 384) on ADE20K panoptic, 160k iterations, batch 16:
# facebookresearch/Mask2Former configs/ade20k/panoptic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_160k.yaml. Published (MODEL_ZOO.md): 48.1 PQ / 34.2 AP /
# 54.5 mIoU, 216M params (OneFormer paper Tab. 1). Trained on panoptic targets only; evaluated on
# all three tasks.
_base_ = ['../_base_/models/mask2former_swin-l.py', '../_base_/datasets/ade20k_panoptic_640.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 150
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
