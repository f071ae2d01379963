# Mask2Former Swin-T on COCO instance, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former
# configs/coco/instance-segmentation/swin/maskformer2_swin_tiny_bs16_50ep.yaml. Published
# (MODEL_ZOO.md): 45.0 AP (31.8 boundary AP) on the official instances_val2017. The target of the
# official release (tools/convert_checkpoint.py); the R50 leaf's recipe (and its deviation).
_base_ = ['./mask2former_r50_8xb2-50e_coco-instance.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_t, _delete_=True))  # backbone swap: R50 -> Swin-T
