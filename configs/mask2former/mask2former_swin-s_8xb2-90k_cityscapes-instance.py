# Mask2Former Swin-S on Cityscapes instance, 90k iterations, batch 16:
# facebookresearch/Mask2Former
# configs/cityscapes/instance-segmentation/swin/maskformer2_swin_small_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 41.8 AP (70.4 AP50). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (its SyncBN is ResNet's, gone with it).
_base_ = ['./mask2former_r50_8xb2-90k_cityscapes-instance.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_s, _delete_=True))  # backbone swap: R50 -> Swin-S
