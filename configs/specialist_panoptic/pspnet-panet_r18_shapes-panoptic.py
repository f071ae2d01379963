# The "two specialised models" panoptic baseline (Kirillov et al., CVPR 2019, Sec. 7): PSPNet's
# stuff and PANet's things, combined by detectron2's heuristic. Nothing is trained here: each child
# is its own run (tools/train.py on its config); name their checkpoints, e.g.
#   python tools/benchmark.py compose THIS_CONFIG --work-dir DIR --cfg-options \
#       model.semantic.checkpoint=PSPNET.pth model.instance.checkpoint=PANET.pth
#   python tools/test.py THIS_CONFIG DIR/composed.pth --task all
# (the specialists suite does this itself, with the configs its runs were trained with).
_base_ = ['../_base_/datasets/shapes.py', '../_base_/default_runtime.py']
image_side = 128  # the shapes test size (_base_ image_size)

model = dict(
    type='SpecialistPanoptic',
    semantic=dict(config='configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py', checkpoint=None),
    instance=dict(config='configs/panet/panet_r18_fpn_1xb8-3k_shapes-instance.py',
                  checkpoint=None),
    num_things_classes=_base_.num_things_classes,
    num_stuff_classes=_base_.num_stuff_classes,
    test_cfg=dict(
        score_thr=0.5,  # detectron2 PanopticFPN combine_instances_score_thresh
        overlap_thr=0.5,  # combine_overlap_thresh
        # combine_stuff_area_thresh is 4096 px at COCO test scale (short side 800); scaled by
        # area to 128 x 128 images: 4096 * (128 / 800)^2 = 105 px.
        stuff_area=round(4096 * (image_side / 800)**2)))

# Test only: PQ of the combination, AP and mIoU of the children.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TaskTestLoop')
