# OneFormer with a ResNet-50, paper settings (Jain et al., CVPR 2023). Unless noted, each number is
# the key named beside it in SHI-Labs/OneFormer configs/ade20k/oneformer_R50_bs16_160k.yaml
# (MODEL.*; the COCO and Cityscapes R50 files carry the same values) or its Base-*.yaml.
# Leaves set the classes (head, fusion head, text mapper) and the per-dataset values below.
embed_dims = 256  # SEM_SEG_HEAD.CONVS_DIM = MASK_DIM = ONE_FORMER.HIDDEN_DIM
num_heads = 8  # ONE_FORMER.NHEADS (pixel decoder, query init and decoder)
ffn_dims = 2048  # ONE_FORMER.DIM_FEEDFORWARD (query init and decoder)
dropout = 0.1  # ONE_FORMER.DROPOUT (pixel-decoder encoder, query init; decoder layers use 0.0)
num_queries = 150  # ONE_FORMER.NUM_OBJECT_QUERIES (250 for Swin-L/ConvNeXt-L on ADE20K/Cityscapes)
# mmcv's MultiheadAttention rewrites its *shared default* dropout_layer when given `dropout=`, so
# every attention config below spells out attn_drop / proj_drop / dropout_layer.
query_init_attn = dict(embed_dims=embed_dims, num_heads=num_heads, attn_drop=dropout,
                       proj_drop=0.0, dropout_layer=dict(type='Dropout', drop_prob=dropout),
                       batch_first=True)
decoder_attn = dict(embed_dims=embed_dims, num_heads=num_heads, attn_drop=0.0, proj_drop=0.0,
                    dropout_layer=dict(type='Dropout', drop_prob=0.0), batch_first=True)

model = dict(
    type='OneFormer',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # PIXEL_MEAN (RGB)
        std=[58.395, 57.12, 57.375],  # PIXEL_STD
        bgr_to_rgb=True,  # INPUT.FORMAT: "RGB"
        pad_size_divisor=32,  # ONE_FORMER.SIZE_DIVISIBILITY
        pad_mask=True,  # targets must cover the padded input (point coordinates are relative)
        mask_pad_value=0,
        pad_seg=False),  # DeriveTaskTargets writes every target into gt_instances
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,  # RESNETS.DEPTH
        num_stages=4,
        out_indices=(0, 1, 2, 3),  # RESNETS.OUT_FEATURES res2-res5
        frozen_stages=-1,  # BACKBONE.FREEZE_AT: 0
        norm_cfg=dict(type='BN', requires_grad=False),  # detectron2's default RESNETS.NORM FrozenBN
        norm_eval=True,
        style='pytorch',  # RESNETS.STRIDE_IN_1X1: False (torchvision ResNet)
        init_cfg=None),  # MODEL.WEIGHTS R-50.pkl: load ImageNet weights locally (no downloads)
    panoptic_head=dict(
        type='OneFormerHead',  # in_channels / strides are read off the backbone by the segmentor
        num_queries=num_queries,
        embed_dims=embed_dims,
        task_seq_len=77,  # INPUT.TASK_SEQ_LEN
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,  # DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES: res3, res4, res5
            norm_cfg=dict(type='GN', num_groups=32),  # SEM_SEG_HEAD.NORM: "GN"
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=6,  # SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=embed_dims, num_heads=num_heads,
                        num_levels=3,
                        num_points=4,  # hard-coded in pixel_decoder/msdeformattn.py
                        im2col_step=64, dropout=dropout, batch_first=True, norm_cfg=None,
                        init_cfg=None),
                    ffn_cfg=dict(
                        embed_dims=embed_dims,
                        feedforward_channels=1024,  # hard-coded in msdeformattn.py
                        num_fcs=2, ffn_drop=dropout, act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=embed_dims // 2, normalize=True)),
        query_init=dict(  # the official `class_transformer` (a DETR transformer, 0 encoder layers)
            num_layers=2,  # ONE_FORMER.CLASS_DEC_LAYERS (ENC_LAYERS: 0)
            return_intermediate=False,
            layer_cfg=dict(  # post-norm: ONE_FORMER.PRE_NORM False
                self_attn_cfg=query_init_attn,
                cross_attn_cfg=query_init_attn,
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=ffn_dims, num_fcs=2,
                             ffn_drop=dropout, act_cfg=dict(type='ReLU', inplace=True)))),
        transformer_decoder=dict(
            num_layers=9,  # ONE_FORMER.DEC_LAYERS 10 = 9 layers + the initial-query prediction
            layer_cfg=dict(
                self_attn_cfg=decoder_attn,
                cross_attn_cfg=decoder_attn,
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=ffn_dims, num_fcs=2,
                             ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
        criterion=dict(
            type='SetCriterion',  # num_classes comes from the head
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[  # oneformer_model.py: matcher costs = the loss weights
                    dict(type='ClassificationCost', weight=2.0),  # ONE_FORMER.CLASS_WEIGHT
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),  # MASK_WEIGHT
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0),  # DICE_WEIGHT
                ]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, reduction='mean',
                          loss_weight=2.0),  # ONE_FORMER.CLASS_WEIGHT
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                           loss_weight=5.0),  # ONE_FORMER.MASK_WEIGHT
            loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                           naive_dice=True, eps=1.0, loss_weight=5.0),  # ONE_FORMER.DICE_WEIGHT
            no_object_weight=0.1,  # ONE_FORMER.NO_OBJECT_WEIGHT
            num_points=12544,  # ONE_FORMER.TRAIN_NUM_POINTS
            oversample_ratio=3.0,  # ONE_FORMER.OVERSAMPLE_RATIO
            importance_sample_ratio=0.75,  # ONE_FORMER.IMPORTANCE_SAMPLE_RATIO
            loss_contrastive=dict(
                type='QueryTextContrastiveLoss',
                temperature=0.07,  # ONE_FORMER.CONTRASTIVE_TEMPERATURE
                loss_weight=0.5))),  # ONE_FORMER.CONTRASTIVE_WEIGHT
    text_mapper=dict(  # training only; num_queries and embed_dims come from the head
        type='TextMapper',
        width=256,  # TEXT_ENCODER.WIDTH (heads = width // 64, text_transformer.py)
        num_layers=6,  # TEXT_ENCODER.NUM_LAYERS
        vocab_size=49408,  # TEXT_ENCODER.VOCAB_SIZE
        context_length=77,  # TEXT_ENCODER.CONTEXT_LENGTH (INPUT.MAX_SEQ_LEN)
        proj_layers=2,  # TEXT_ENCODER.PROJ_NUM_LAYERS
        num_ctx=16),  # TEXT_ENCODER.N_CTX
    panoptic_fusion_head=dict(type='TaskFusionHead', init_cfg=None),
    train_cfg=dict(),  # marks a training build (criterion and text mapper); losses live above
    test_cfg=dict(
        task='panoptic',  # TEST.TASK: default for samples without a task
        iou_thr=0.8,  # TEST.OVERLAP_THRESHOLD
        object_mask_thr=0.8,  # TEST.OBJECT_MASK_THRESHOLD: 0.8 COCO/Cityscapes (ADE20K: 0.5)
        filter_low_score=True,  # panoptic_inference keeps pixels with mask prob >= 0.5
        max_per_image=150),  # TEST.DETECTIONS_PER_IMAGE (= num_queries)
    init_cfg=None)
