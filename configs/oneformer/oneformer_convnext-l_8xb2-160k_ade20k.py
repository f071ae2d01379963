# OneFormer ConvNeXt-L (IN-22k->1k fine-tuned, 384) on ADE20K panoptic, 160k iterations, batch 16:
# SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml.
# Published (paper Tab. 1): 50.0 PQ / 36.2 AP / 56.6 mIoU, 220M params; our inference model:
# 219.8M. The Swin-L leaf's recipe (250 queries, crop 640, object threshold 0.5, no clipping) with
# timm's ConvNeXt-L as the backbone; the official D2ConvNeXt's 4 output LayerNorms (5,760 params)
# are TimmBackbone's out_norm.
_base_ = ['./oneformer_swin-l_8xb2-160k_ade20k.py']

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: Swin-L -> ConvNeXt-L (MODEL.CONVNEXT.*) through timm
        type='TimmBackbone',
        model_name='convnext_large',  # DEPTHS [3, 3, 27, 3], DIMS [192, 384, 768, 1536]
        drop_path_rate=0.4,  # DROP_PATH_RATE
        ls_init_value=1.0,  # LSIT
        out_norm=True,  # the official D2ConvNeXt's norm0..3 on each returned level
        init_cfg=None))  # no download: dict(type='Pretrained', checkpoint='/local/cnx_l.pth')
