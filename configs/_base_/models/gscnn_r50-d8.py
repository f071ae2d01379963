# Gated-SCNN (Takikawa et al., ICCV 2019; nv-tlabs/GSCNN). The release's regular stream is a
# WideResNet38 at output stride 8; here it is ResNetV1c-50 dilated to output stride 8, the
# backbone the mmseg specialists share (the GSCNN paper also reports ResNet-50/101 trunks). Shape
# stream, ASPP fusion and the dual-task loss follow the release (unibench GSCNNHead, GSCNNLoss);
# head input channels are read from the backbone. Class counts come from the leaf.
_base_ = ['./semantic_r50-d8.py']  # backbone and preprocessor (the release's mean / std)
norm_cfg = _base_.norm_cfg  # the release: SyncBN (sgd_poly.py sets sync_bn)

model = dict(
    type='GSCNN',
    head=dict(
        type='GSCNNHead',
        channels=256,  # ASPP reduction_dim
        fine_channels=48,  # bot_fine
        shape_channels=(64, 32, 16, 8),  # res1 / d1, d2, d3 widths
        dilations=(12, 24, 36),  # rates (6, 12, 18) doubled at output stride 8
        norm_cfg=norm_cfg),
    criterion=dict(
        type='GSCNNLoss',
        seg_weight=1.0,  # train.py defaults
        edge_weight=1.0,
        att_weight=1.0,
        dual_weight=1.0,
        upper_bound=1.0,  # --wt_bound
        boundary_radius=2,  # onehot_to_binary_edges(_, 2, _)
        edge_threshold=0.8,  # edge_attention: edge > 0.8
        gumbel_tau=0.5),  # DualTaskLoss: _gumbel_softmax_sample(tau=0.5)
    canny_thresholds=(10, 100),  # cv2.Canny(img, 10, 100)
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
