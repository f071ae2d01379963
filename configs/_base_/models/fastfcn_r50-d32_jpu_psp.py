# FastFCN (Wu et al., "FastFCN: Rethinking Dilated Convolution in the Backbone for Semantic
# Segmentation", 2019) with a PSP head, as mmseg's configs/_base_/models/fastfcn_r50-d32_jpu_psp.py:
# a ResNetV1c-50 at output stride 32 whose stages 2-4 are fused back to stride 8 by the
# Joint Pyramid Upsampling neck (JPU, dilations 1, 2, 4, 8); PSP head on the JPU output, FCN
# auxiliary head (weight 0.4, training only) on stage 3. unibench bridge as pspnet_r50-d8.py;
# head input channels are read from backbone + neck (the neck's are mmseg's API, stated here).
norm_cfg = dict(type='BN', requires_grad=True)  # mmseg: SyncBN (leaves set sync_bn)

model = dict(
    type='SemanticSegmentor',
    family='fastfcn',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet, RGB
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True,  # rasterised semantic targets: padding is void
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        dilations=(1, 1, 2, 4),  # as mmseg's config (strided as well, so output stride 32)
        strides=(1, 2, 2, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/r50_v1c.pth')
    neck=dict(
        type='mmseg.JPU',
        in_channels=(512, 1024, 2048),  # ResNet-50 stages 2-4
        mid_channels=512,
        start_level=0,
        end_level=-1,
        dilations=(1, 2, 4, 8),
        align_corners=False,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='mmseg.PSPHead',
        in_index=2,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='mmseg.FCNHead',
        in_index=1,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
