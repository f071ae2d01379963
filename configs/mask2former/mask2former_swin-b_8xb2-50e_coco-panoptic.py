# Mask2Former Swin-B on COCO panoptic, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former
# configs/coco/panoptic-segmentation/swin/maskformer2_swin_base_384_bs16_50ep.yaml (IN-1k weights;
# the IN-22k weights, maskformer2_swin_base_IN21k_384_bs16_50ep.yaml, fit the same model). Published
# (MODEL_ZOO.md): 55.1 PQ / 45.2 AP / 65.1 mIoU with IN-1k weights, 56.4 / 46.3 / 67.1 with IN-22k.
# The target of the official release and of HF facebook/mask2former-swin-base-coco-panoptic
# (tools/convert_checkpoint.py); the R50 leaf's recipe.
_base_ = ['./mask2former_r50_8xb2-50e_coco-panoptic.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_b, _delete_=True))  # backbone swap: R50 -> Swin-B
