# ADE20K-150 panoptic (ADE20KPanopticDataset; detectron2's prepare_ade20k_pan_seg.py output, see
# docs/datasets.md). Contiguous labels: 100 thing classes first, then 50 stuff classes.
# Augmentation: OneFormer Base-ADE20K-UnifiedSegmentation.yaml (R50): short side chosen from
# 0.5-2.0 x 512 (long side <= 2048), crop 512 x 512, SSD colour jitter, hflip; test short side 512.
# Crop 640 (Swin-L / ConvNeXt-L OneFormer, every Mask2Former panoptic/instance model):
# ade20k_panoptic_640.py rebuilds the steps that depend on `image_size`.
dataset_type = 'ADE20KPanopticDataset'
data_root = 'data/ADEChallengeData2016/'
num_things_classes = 100
num_stuff_classes = 50
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (512, 512)  # INPUT.CROP.SIZE = MIN_SIZE_TEST; MAX_SIZE_TRAIN/TEST = 4 x crop
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    # MIN_SIZE_TRAIN_SAMPLING "choice": (long-side cap, short side) pairs, mmcv order (w, h).
    dict(type='RandomChoiceResize', keep_ratio=True,
         scales=[(4 * image_size[0], int(x * 0.1 * image_size[0])) for x in range(5, 21)]),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),  # SINGLE_CATEGORY_MAX_AREA 1.0: no class-ratio check
    dict(type='PhotoMetricDistortion'),  # COLOR_AUG_SSD (same deltas as detectron2's)
    dict(type='RandomFlip', prob=0.5),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'task',
                                          'classes')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(4 * image_size[0], image_size[0]), keep_ratio=True),
    dict(type='LoadPanopticAnnotations', with_bbox=False, with_label=False, with_mask=False,
         with_seg=True, backend_args=backend_args),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,  # per GPU: the leaves' N x 2 (8 x 2 = the papers' batch 16)
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ade20k_panoptic_train.json',
        data_prefix=dict(img='images/training/', seg='ade20k_panoptic_train/'),
        # Per-image task sampling (OneFormer); separate models name one task in their leaf.
        tasks=('panoptic', 'instance', 'semantic'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ade20k_panoptic_val.json',
        data_prefix=dict(img='images/validation/', seg='ade20k_panoptic_val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# PQ on the panoptic GT; AP on instance GT derived from it (convert.panoptic_to_instances; the
# official ade20k_instance_val.json has other category ids and names); mIoU on the semantic map of
# the panoptic PNG. The official mIoU uses annotations/validation, where thing pixels without an
# instance mask keep their class: evaluate it with ade20k_semantic.py (same label order).
val_evaluator = dict(
    type='TaskEvaluator',
    metrics=dict(
        panoptic=dict(type='PanopticQualityMetric',
                      ann_file=data_root + 'ade20k_panoptic_val.json',
                      seg_prefix=data_root + 'ade20k_panoptic_val/'),
        instance=dict(type='InstanceSegMetric',
                      ann_file=data_root + 'ade20k_panoptic2instances_val.json'),
        semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
