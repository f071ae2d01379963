# PANet, the instance specialist, sized for the shapes dataset on CPU: the paper model
# (_base_/models/panet_r50_fpn.py) with a ResNet-18 trained from scratch (BN trainable), width 64
# instead of 256, the paper's 2-fc box head (fc6 fused over levels, Sec. 3.2) instead of the
# released 4conv1fc one, anchors and RoI counts for 128 x 128 images, and the shapes schedule of the
# other shapes models (AdamW 1e-3, poly, 3k iterations at batch 8). Things only, scored by mask AP.
# On CPU, pooling every RoI from all 4 levels (mmcv RoIAlign, single-threaded) is the costly part:
# width and RoI count are what keep a step near the other shapes models'.
_base_ = ['../_base_/models/panet_r50_fpn.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
num_things = _base_.num_things_classes
width = 64  # neck, RPN and RoI head channels (the paper: 256)
box_fc_channels = 256  # fc6 / fc7 (the paper: 1024); fc6 has one copy per level

model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False),
    neck=dict(out_channels=width),
    rpn_head=dict(
        in_channels=width, feat_channels=width,
        # Anchor side = 4 x stride: 16 px on P2 to 256 px on P6. The shapes are 10-100 px
        # (radius 8-20% of 128 px, resized by 0.5-2.0); the paper's 8 x stride starts at 32 px.
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=width),
        bbox_head=dict(num_shared_convs=0, num_shared_fcs=2, in_channels=width,
                       conv_out_channels=width, fc_out_channels=box_fc_channels, norm_cfg=None,
                       num_classes=num_things),
        mask_roi_extractor=dict(out_channels=width),
        mask_head=dict(in_channels=width, conv_out_channels=width, num_classes=num_things)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        # 64 RoIs per image (the paper: 512), up to 16 positive: a 128 x 128 image holds a
        # handful of shapes.
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))

train_dataloader = dict(dataset=dict(tasks=('instance', )))
# An instance model answers the instance task only: mask AP on the instances JSON.
val_evaluator = dict(metrics=dict(_delete_=True, instance=_base_.val_evaluator.metrics.instance))
test_evaluator = val_evaluator
val_cfg = test_cfg = dict(tasks=['instance'])
