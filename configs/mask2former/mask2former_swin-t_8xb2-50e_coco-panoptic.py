# Mask2Former Swin-T on COCO panoptic, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former
# configs/coco/panoptic-segmentation/swin/maskformer2_swin_tiny_bs16_50ep.yaml. Published
# (MODEL_ZOO.md): 53.2 PQ / 43.3 AP / 63.2 mIoU. The target of the official release and of HF
# facebook/mask2former-swin-tiny-coco-panoptic (tools/convert_checkpoint.py); the R50 leaf's recipe.
_base_ = ['./mask2former_r50_8xb2-50e_coco-panoptic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_t, _delete_=True))  # backbone swap: R50 -> Swin-T
