# The parts mmseg's dilated specialists share, stated once: mmseg's ResNetV1c-50 dilated to output
# stride 8 (PSPNet, DANet, Gated-SCNN's regular stream; FastFCN re-strides it), the preprocessor of
# the unibench bridge (mmdet's DetDataPreprocessor and data samples), what mmseg's decode heads
# have in common (`head`), the pyramid pooling head of PSPNet and FastFCN (`psp_head`) and mmseg's
# FCN auxiliary head on stage 3 (weight 0.4, training only), which the model bases that use them
# name. Leaves give the class counts. mmseg uses SyncBN: its multi-GPU schedule (sgd_poly.py)
# sets `sync_bn = 'torch'` (mmengine converts every BN), so the norm is stated once here.
norm_cfg = dict(type='BN', requires_grad=True)
head = dict(dropout_ratio=0.1, norm_cfg=norm_cfg, align_corners=False,
            loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
psp_head = dict(head, type='mmseg.PSPHead', in_index=3, channels=512, pool_scales=(1, 2, 3, 6))
auxiliary_head = dict(head, type='mmseg.FCNHead', in_index=2, channels=256, num_convs=1,
                      concat_input=False, loss_decode=dict(head['loss_decode'], loss_weight=0.4))

model = dict(
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
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/r50_v1c.pth')
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
