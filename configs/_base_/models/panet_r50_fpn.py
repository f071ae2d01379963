# PANet R50 at the paper's settings: mmdet's Mask R-CNN (configs/_base_/models/mask-rcnn_r50_fpn.py)
# with the released ShuLiu1993/PANet configs/panet/e2e_panet_R-50-FPN_2x_mask.yaml: PAFPN with GN,
# 4conv1fc GN box head (roi_Xconv1fc_gn_head_panet), 4-conv GN mask head with fully-connected
# fusion (mask_rcnn_fcn_head_v1up4convs_gn_adp_ff), RoIAlign sampling ratio 2, 512 RoIs per image.
# Class counts come from the leaf; the neck's input channels are read from the backbone.
neck_channels = 256  # FPN.DIM
box_fc_channels = 1024  # FAST_RCNN.MLP_HEAD_DIM
num_levels = 4  # FPN.ROI_MIN_LEVEL 2 .. ROI_MAX_LEVEL 5: every RoI is pooled on P2-P5
roi_strides = [4, 8, 16, 32]
box_roi_size, mask_roi_size = 7, 14  # FAST_RCNN / MRCNN.ROI_XFORM_RESOLUTION
roi_layer = dict(type='RoIAlign', sampling_ratio=2)  # ROI_XFORM_SAMPLING_RATIO
roi_extractor = dict(type='AdaptiveRoIExtractor', out_channels=neck_channels,
                     featmap_strides=roi_strides)
norm_cfg = dict(type='GN', num_groups=32, requires_grad=True)  # FPN.USE_GN and the GN heads

model = dict(
    type='PANet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet, RGB (the other unibench R50 models)
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,  # TRAIN.FREEZE_AT 2: stem and res2 frozen
        norm_cfg=dict(type='BN', requires_grad=False),  # Detectron AffineChannel (frozen BN)
        norm_eval=True,
        style='pytorch',
        init_cfg=None),  # no download: set dict(type='Pretrained', checkpoint='/local/r50.pth')
    # Bottom-up path augmentation (paper Sec. 3.1): FPN, then N2 -> N5 by stride-2 3x3 convs.
    neck=dict(type='mmdet.PAFPN', out_channels=neck_channels, num_outs=5, norm_cfg=norm_cfg),
    rpn_head=dict(
        type='mmdet.RPNHead',
        in_channels=neck_channels,
        feat_channels=neck_channels,
        anchor_generator=dict(type='mmdet.AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0],
                              strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[1.0] * 4),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='mmdet.StandardRoIHead',
        bbox_roi_extractor=dict(roi_extractor, roi_layer=dict(roi_layer, output_size=box_roi_size)),
        bbox_head=dict(
            type='PANetBBoxHead',
            num_levels=num_levels,
            num_shared_convs=4,  # FAST_RCNN.NUM_STACKED_CONVS; the first is fused over levels
            num_shared_fcs=1,
            in_channels=neck_channels,
            conv_out_channels=neck_channels,  # FAST_RCNN.CONV_HEAD_DIM
            fc_out_channels=box_fc_channels,
            roi_feat_size=box_roi_size,
            norm_cfg=norm_cfg,
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        mask_roi_extractor=dict(roi_extractor,
                                roi_layer=dict(roi_layer, output_size=mask_roi_size)),
        mask_head=dict(
            type='PANetMaskHead',
            num_levels=num_levels,
            num_convs=4,
            in_channels=neck_channels,
            conv_out_channels=neck_channels,  # MRCNN.DIM_REDUCED
            roi_feat_size=mask_roi_size,
            fused_fc=True,
            norm_cfg=norm_cfg,
            loss_mask=dict(type='mmdet.CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                          min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='mmdet.RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                         add_gt_as_proposals=False),
            allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=2000,  # TRAIN.RPN_PRE_NMS_TOP_N, per level
                          max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                          min_bbox_size=0),
        rcnn=dict(
            assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                          min_pos_iou=0.5, match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='mmdet.RandomSampler', num=512,  # TRAIN.BATCH_SIZE_PER_IM
                         pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
            mask_size=28,  # MRCNN.RESOLUTION
            pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000,  # TEST.RPN_PRE_NMS_TOP_N, per level
                 max_per_img=1000,  # TEST.RPN_POST_NMS_TOP_N
                 nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),  # TEST.NMS
                  max_per_img=100, mask_thr_binary=0.5)),
    init_cfg=None)
