# OneFormer Swin-L (IN-22k->1k fine-tuned, 384) on ADE20K panoptic, 160k iterations, batch 16:
# SHI-Labs/OneFormer configs/ade20k/swin/oneformer_swin_large_bs16_160k.yaml. Published (paper Tab.
# 1): 49.8 PQ / 35.9 AP / 57.0 mIoU, 219M params; our inference model: 218.8M. Data:
# ade20k_panoptic_640.py (short side 0.5-2.0 x 640, crop 640 x 640, test 640, SSD colour jitter,
# hflip).
_base_ = ['../_base_/models/oneformer_swin-l.py', '../_base_/datasets/ade20k_panoptic_640.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES

model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # SEM_SEG_HEAD.NUM_CLASSES 150
                       num_stuff_classes=_base_.num_stuff_classes, num_queries=num_queries),
    test_cfg=dict(object_mask_thr=0.5,  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K)
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
