# OneFormer ConvNeXt-L (IN-22k->1k fine-tuned, 384) on ADE20K panoptic, 160k iterations, batch 16:
# SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml.
# Published (paper Tab. 1): 50.0 PQ / 36.2 AP / 56.6 mIoU, 220M params; our inference model:
# 219.8M (oneformer_convnext-l.py: the official backbone has 5,760 more).
# Data: ade20k_panoptic_640.py (crop 640: short side 0.5-2.0 x 640, test 640), as the Swin-L leaf.
_base_ = ['../_base_/models/oneformer_convnext-l.py', '../_base_/datasets/ade20k_panoptic_640.py',
          '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py']
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES

model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,  # SEM_SEG_HEAD.NUM_CLASSES 150
                       num_stuff_classes=_base_.num_stuff_classes, num_queries=num_queries),
    test_cfg=dict(object_mask_thr=0.5,  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K)
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
