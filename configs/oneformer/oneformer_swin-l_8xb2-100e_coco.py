# OneFormer Swin-L (IN-22k->1k fine-tuned, 384) on COCO panoptic, 100 epochs (737,500 iterations),
# batch 16: SHI-Labs/OneFormer configs/coco/swin/oneformer_swin_large_bs16_100ep.yaml. Published
# (paper Tab. 3): 57.9 PQ / 49.0 AP / 67.4 mIoU, 219M params; our inference model: 218.8M. AMP is
# off in this official config (SOLVER.AMP.ENABLED False). Data: coco_panoptic.py (LSJ 1024 x 1024,
# scale 0.1-2.0, hflip). ONE_FORMER.NUM_OBJECT_QUERIES: 150 on COCO, also for Swin-L.
_base_ = ['../_base_/models/oneformer_swin-l.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_step_100e.py', '../_base_/default_runtime.py']
model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # SEM_SEG_HEAD.NUM_CLASSES 133
                       num_stuff_classes=_base_.num_stuff_classes))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
