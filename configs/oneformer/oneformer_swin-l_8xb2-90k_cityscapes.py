# OneFormer Swin-L (IN-22k->1k fine-tuned, 384) on Cityscapes panoptic, 90k iterations, batch 16:
# SHI-Labs/OneFormer configs/cityscapes/swin/oneformer_swin_large_bs16_90k.yaml. Published (paper
# Tab. 2): 67.2 PQ / 45.6 AP / 83.0 mIoU, 219M params; our inference model: 218.8M.
# Data: cityscapes_panoptic.py (short side 512-2048, crop 512 x 1024, test 1024 x 2048, SSD
# colour jitter, hflip).
_base_ = ['../_base_/models/oneformer_swin-l.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/schedules/adamw_poly_90k.py', '../_base_/default_runtime.py']
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES

model = dict(
    # SEM_SEG_HEAD.NUM_CLASSES 19, things first in unibench
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes, num_queries=num_queries),
    test_cfg=dict(max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
