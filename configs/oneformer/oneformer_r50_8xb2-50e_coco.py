# OneFormer R50 on COCO panoptic, 50 epochs (368,750 iterations), batch 16: SHI-Labs/OneFormer
# configs/coco/oneformer_R50_bs16_50ep.yaml + Base-COCO-UnifiedSegmentation.yaml. Published
# (paper App. Tab. I, N = 150): 51.5 PQ / 42.5 AP / 61.2 mIoU; our inference model: 47.3M.
# Data: coco_panoptic.py (LSJ 1024 x 1024, scale 0.1-2.0, hflip; AP on instance GT derived from
# panoptic, as coco_2017_val_panoptic2instance).
_base_ = ['../_base_/models/oneformer_r50.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_step_50e.py', '../_base_/default_runtime.py']
model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # SEM_SEG_HEAD.NUM_CLASSES 133
                       num_stuff_classes=_base_.num_stuff_classes))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
