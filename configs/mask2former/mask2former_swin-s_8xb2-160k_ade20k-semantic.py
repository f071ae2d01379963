# Mask2Former Swin-S on ADE20K semantic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/semantic-segmentation/swin/maskformer2_swin_small_bs16_160k.yaml. Published
# (MODEL_ZOO.md): 51.3 mIoU (52.4 multi-scale). The target of the official release
# (tools/convert_checkpoint.py); the R50 leaf's recipe (crop 512).
_base_ = ['./mask2former_r50_8xb2-160k_ade20k-semantic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_s, _delete_=True))  # backbone swap: R50 -> Swin-S
