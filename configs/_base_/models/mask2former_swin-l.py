# Mask2Former Swin-L (IN-22k, 384): mask2former_r50.py with the Swin-L backbone and 200 queries
# (facebookresearch/Mask2Former configs/*/swin/maskformer2_swin_large_IN21k_384_*.yaml).
_base_ = ['./mask2former_r50.py', './swin.py']
num_queries = 200  # MASK_FORMER.NUM_OBJECT_QUERIES (Swin-L panoptic / instance)

model = dict(
    backbone=dict(_base_.swin_l, _delete_=True),  # backbone swap: R50 -> Swin-L (MODEL.SWIN.*)
    panoptic_head=dict(num_queries=num_queries))
