# OneFormer R50 on Cityscapes panoptic, 90k iterations, batch 16: SHI-Labs/OneFormer
# configs/cityscapes/oneformer_R50_bs16_90k.yaml (no published R50 Cityscapes result; Swin-L and
# ConvNeXt-L are in paper Tab. 2). Data: cityscapes_panoptic.py (short side 512-2048,
# crop 512 x 1024, test 1024 x 2048, SSD colour jitter, hflip).
_base_ = ['../_base_/models/oneformer_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True),  # RESNETS.NORM "SyncBN"
                  norm_eval=False),
    # SEM_SEG_HEAD.NUM_CLASSES 19, things first in unibench
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
