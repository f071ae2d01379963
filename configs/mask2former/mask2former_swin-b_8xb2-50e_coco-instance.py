# Mask2Former Swin-B on COCO instance, 50 epochs (368,750 iterations), batch 16:
# facebookresearch/Mask2Former
# configs/coco/instance-segmentation/swin/maskformer2_swin_base_384_bs16_50ep.yaml (IN-1k weights;
# the IN-22k weights, maskformer2_swin_base_IN21k_384_bs16_50ep.yaml, fit the same model). Published
# (MODEL_ZOO.md): 46.7 AP (33.2 boundary AP) with IN-1k weights, 48.1 (34.4) with IN-22k, on the
# official instances_val2017. The target of both official releases (tools/convert_checkpoint.py);
# the R50 leaf's recipe (and its deviation).
_base_ = ['./mask2former_r50_8xb2-50e_coco-instance.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_b, _delete_=True))  # backbone swap: R50 -> Swin-B
