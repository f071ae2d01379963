# COCO panoptic 2017 (COCOPanopticDataset; layout and conversion commands in docs/datasets.md).
# Contiguous labels: 80 thing classes first, then 53 stuff classes. Augmentation: Mask2Former /
# OneFormer COCO (Base-COCO-PanopticSegmentation.yaml, Base-COCO-UnifiedSegmentation.yaml):
# hflip + large-scale jitter (LSJ) 1024 x 1024, scale 0.1-2.0; test short side 800, long <= 1333.
dataset_type = 'COCOPanopticDataset'
data_root = 'data/coco/'
num_things_classes = 80
num_stuff_classes = 53
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (1024, 1024)  # INPUT.IMAGE_SIZE: the LSJ crop
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    # ResizeScale(MIN_SCALE 0.1, MAX_SCALE 2.0) + FixedSizeCrop(IMAGE_SIZE) of detectron2's LSJ.
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'task',
                                          'classes')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),  # MIN_SIZE_TEST 800, MAX 1333
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
        ann_file='annotations/panoptic_train2017.json',
        data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
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
        ann_file='annotations/panoptic_val2017.json',
        data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# PQ on the panoptic GT; AP on instance GT derived from it (OneFormer's
# coco_2017_val_panoptic2instance, written by unibench.datasets.convert.panoptic_to_instances);
# mIoU on the semantic map of the panoptic PNG (crowd regions keep their class, 255 = void).
val_evaluator = dict(
    type='TaskEvaluator',
    metrics=dict(
        panoptic=dict(type='PanopticQualityMetric',
                      ann_file=data_root + 'annotations/panoptic_val2017.json',
                      seg_prefix=data_root + 'annotations/panoptic_val2017/'),
        instance=dict(type='InstanceSegMetric',
                      ann_file=data_root + 'annotations/panoptic2instances_val2017.json'),
        semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
