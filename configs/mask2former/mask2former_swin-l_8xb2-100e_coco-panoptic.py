# Mask2Former Swin-L (IN-22k weights, 384) on COCO panoptic, 100 epochs (737,500 iterations),
# batch 16: facebookresearch/Mask2Former configs/coco/panoptic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_100ep.yaml. Published (MODEL_ZOO.md): 57.8 PQ / 48.6 AP /
# 67.4 mIoU, 216M params (OneFormer paper Tab. 3). The target of the official release
# (tools/convert_checkpoint.py). Trained on panoptic targets only; evaluated on all three tasks,
# AP on the panoptic-derived instance GT (as the R50 leaf).
_base_ = ['../_base_/models/mask2former_swin-l.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_step_100e.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # NUM_CLASSES 133
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
# SOLVER.STEPS (655556, 710184): twice the 50-epoch steps; OneFormer's 100-epoch yaml, which
# adamw_step_100e.py follows, decays the second time at 735,184.
param_scheduler = [dict(_base_.param_scheduler[0], milestones=[655556, 710184])]
