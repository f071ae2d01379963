# OneFormer ConvNeXt-L (IN-22k->1k fine-tuned, 384): oneformer_r50.py with timm's ConvNeXt-L as the
# backbone (SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml; the
# official D2ConvNeXt's 4 output LayerNorms, 5,760 params, are TimmBackbone's out_norm).
_base_ = ['./oneformer_r50.py']

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: R50 -> ConvNeXt-L (MODEL.CONVNEXT.*) through timm
        type='TimmBackbone',
        model_name='convnext_large',  # DEPTHS [3, 3, 27, 3], DIMS [192, 384, 768, 1536]
        drop_path_rate=0.4,  # DROP_PATH_RATE
        ls_init_value=1.0,  # LSIT
        out_norm=True,  # the official D2ConvNeXt's norm0..3 on each returned level
        init_cfg=None))  # no download: dict(type='Pretrained', checkpoint='/local/cnx_l.pth')
