# Mask2Former R50 at the paper's settings (facebookresearch/Mask2Former
# configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml and Base-COCO-*.yaml).
# Class counts come from the leaf (they depend on dataset and task); the segmentor passes them
# to the fusion head and reads backbone channels and strides from the built backbone.
embed_dims = 256  # MASK_FORMER.HIDDEN_DIM, SEM_SEG_HEAD.CONVS_DIM / MASK_DIM
num_queries = 100  # MASK_FORMER.NUM_OBJECT_QUERIES (200 for Swin-L panoptic / instance)
num_decoder_layers = 9  # MASK_FORMER.DEC_LAYERS 10 = 9 masked-attention layers + initial queries
num_encoder_layers = 6  # SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS
num_heads = 8  # MASK_FORMER.NHEADS
num_points = 12544  # MASK_FORMER.TRAIN_NUM_POINTS = 112 * 112

model = dict(
    type='Mask2Former',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet, RGB
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),  # detectron2 FrozenBN
        norm_eval=True,
        style='pytorch',  # RESNETS.STRIDE_IN_1X1 False
        init_cfg=None),  # no download: set dict(type='Pretrained', checkpoint='/local/r50.pth')
    panoptic_head=dict(
        type='Mask2FormerHead',  # unibench's; in_channels / strides are read off the backbone
        num_queries=num_queries,
        embed_dims=embed_dims,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,  # 1/32, 1/16, 1/8: the decoder's levels, round-robin
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=num_encoder_layers,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=embed_dims, num_heads=num_heads, num_levels=3,
                                       num_points=4, dropout=0.0, batch_first=True),
                    ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=1024, num_fcs=2,
                                 ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=embed_dims // 2, normalize=True)),
        transformer_decoder=dict(
            num_layers=num_decoder_layers,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=embed_dims, num_heads=num_heads, dropout=0.0,
                                   batch_first=True),
                cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=num_heads, dropout=0.0,
                                    batch_first=True),
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=2048, num_fcs=2,
                             ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
        criterion=dict(
            type='SetCriterion',  # num_classes comes from the head
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[  # MASK_FORMER.CLASS_WEIGHT / MASK_WEIGHT / DICE_WEIGHT
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
                ]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, reduction='mean',
                          loss_weight=2.0),
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                           loss_weight=5.0),
            loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                           naive_dice=True, eps=1.0, loss_weight=5.0),
            no_object_weight=0.1,  # MASK_FORMER.NO_OBJECT_WEIGHT
            num_points=num_points,
            oversample_ratio=3.0,  # MASK_FORMER.OVERSAMPLE_RATIO
            importance_sample_ratio=0.75)),  # MASK_FORMER.IMPORTANCE_SAMPLE_RATIO
    panoptic_fusion_head=dict(type='TaskFusionHead', loss_panoptic=None, init_cfg=None),
    train_cfg=dict(),  # marks a training build (the criterion); losses live above
    test_cfg=dict(
        object_mask_thr=0.8,  # MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD
        iou_thr=0.8,  # MASK_FORMER.TEST.OVERLAP_THRESHOLD
        filter_low_score=True,  # the official panoptic_inference keeps mask prob >= 0.5 only
        max_per_image=100),  # TEST.DETECTIONS_PER_IMAGE
    init_cfg=None)
