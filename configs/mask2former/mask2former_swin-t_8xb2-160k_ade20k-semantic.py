# Mask2Former Swin-T on ADE20K semantic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/semantic-segmentation/swin/maskformer2_swin_tiny_bs16_160k.yaml. Published
# (MODEL_ZOO.md): 47.7 mIoU (49.6 multi-scale). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (crop 512).
_base_ = ['./mask2former_r50_8xb2-160k_ade20k-semantic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_t, _delete_=True))  # backbone swap: R50 -> Swin-T
