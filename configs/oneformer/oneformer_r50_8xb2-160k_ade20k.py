# OneFormer R50 on ADE20K panoptic, 160k iterations, batch 16: SHI-Labs/OneFormer
# configs/ade20k/oneformer_R50_bs16_160k.yaml. Published: 41.9 PQ / 27.3 AP / 47.3 mIoU, 47M
# params (OneFormer paper App. Tab. II; our inference model: 47.3M).
# Data: ade20k_panoptic.py (short side 0.5-2.0 x 512, crop 512 x 512, test short side 512, SSD
# colour jitter, hflip).
_base_ = ['../_base_/models/oneformer_r50.py', '../_base_/datasets/ade20k_panoptic.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # SEM_SEG_HEAD.NUM_CLASSES 150
                       num_stuff_classes=_base_.num_stuff_classes),
    test_cfg=dict(object_mask_thr=0.5))  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K only)
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
