# Mask2Former Swin-B (IN-22k weights, 384) on Cityscapes instance, 90k iterations, batch 16:
# facebookresearch/Mask2Former configs/cityscapes/instance-segmentation/swin/
# maskformer2_swin_base_IN21k_384_bs16_90k.yaml (the only Swin-B release here). Published
# (MODEL_ZOO.md): 42.0 AP (68.8 AP50). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (its SyncBN is ResNet's, gone with it).
_base_ = ['./mask2former_r50_8xb2-90k_cityscapes-instance.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_b, _delete_=True))  # backbone swap: R50 -> Swin-B
