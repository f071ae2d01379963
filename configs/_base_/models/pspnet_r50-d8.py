# PSPNet R50-D8 (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017) as mmseg's
# configs/_base_/models/pspnet_r50-d8.py: the shared dilated ResNetV1c-50 and FCN auxiliary head
# (semantic_r50-d8.py), pyramid pooling (bins 1, 2, 3, 6) on stage 4. Head input channels are
# read from the backbone (unibench SemanticSegmentor bridge).
_base_ = ['./semantic_r50-d8.py']

model = dict(
    type='SemanticSegmentor',
    family='pspnet',
    decode_head=dict(
        type='mmseg.PSPHead',
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        norm_cfg=_base_.norm_cfg,
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=_base_.auxiliary_head)
