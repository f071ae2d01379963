# Mask2Former Swin-L (IN-22k weights, 384) on Cityscapes semantic, 90k iterations, batch 16:
# facebookresearch/Mask2Former configs/cityscapes/semantic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_90k.yaml. Published (MODEL_ZOO.md): 83.3 mIoU (84.3
# multi-scale), 215M params (OneFormer paper Tab. 2). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (its SyncBN is ResNet's, gone with it),
# 100 queries as there (NUM_OBJECT_QUERIES 100: Swin-L's 200 are for panoptic / instance).
_base_ = ['./mask2former_r50_8xb2-90k_cityscapes-semantic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_l, _delete_=True))  # backbone swap: R50 -> Swin-L
