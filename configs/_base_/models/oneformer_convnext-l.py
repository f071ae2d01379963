# OneFormer ConvNeXt-L (IN-22k, 384): oneformer_r50.py with timm's ConvNeXt-L as the backbone
# (SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml; the official
# D2ConvNeXt adds 4 output LayerNorms, 5,760 params, timm has none).
_base_ = ['./oneformer_r50.py']

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: R50 -> ConvNeXt-L (MODEL.CONVNEXT.*) through timm
        type='TimmBackbone',
        model_name='convnext_large',  # DEPTHS [3, 3, 27, 3], DIMS [192, 384, 768, 1536]
        drop_path_rate=0.4,  # DROP_PATH_RATE
        ls_init_value=1.0,  # LSIT
        init_cfg=None))  # no download: dict(type='Pretrained', checkpoint='/local/cnx_l.pth')
