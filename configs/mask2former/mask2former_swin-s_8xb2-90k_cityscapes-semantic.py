# Mask2Former Swin-S on Cityscapes semantic, 90k iterations, batch 16:
# facebookresearch/Mask2Former
# configs/cityscapes/semantic-segmentation/swin/maskformer2_swin_small_bs16_90k.yaml. Published
# (MODEL_ZOO.md): 82.6 mIoU (83.6 multi-scale). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (its SyncBN is ResNet's, gone with it).
_base_ = ['./mask2former_r50_8xb2-90k_cityscapes-semantic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_s, _delete_=True))  # backbone swap: R50 -> Swin-S
