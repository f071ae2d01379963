# Mask2Former Swin-L (IN-22k weights, 384) on ADE20K semantic, 160k iterations, batch 16:
# facebookresearch/Mask2Former configs/ade20k/semantic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_160k_res640.yaml. Published (MODEL_ZOO.md): 56.1 mIoU
# (57.3 multi-scale), 215M params (OneFormer paper Tab. 1). The target of the official release
# (tools/convert_checkpoint.py). The Swin-B leaf's recipe (the R50 one at crop 640), 100 queries
# as there (the yaml keeps the R50 yaml's NUM_OBJECT_QUERIES: Swin-L's 200 are for panoptic /
# instance).
_base_ = ['./mask2former_swin-b_8xb2-160k_ade20k-semantic.py']
model = dict(backbone=dict(_base_.swin_l, _delete_=True))  # backbone swap: Swin-B -> Swin-L
