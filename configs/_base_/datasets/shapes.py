# unibench-shapes: the embedded synthetic panoptic dataset (python tools/make_synthetic.py).
# Contiguous labels: 7 thing classes first, then 5 stuff classes (unibench/datasets/synthetic.py).
dataset_type = 'ShapesPanopticDataset'
data_root = 'data/shapes/'
num_things_classes = 7  # tests check these against ShapesPanopticDataset.METAINFO
num_stuff_classes = 5
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (128, 128)  # train crop and test resize; generated images are 128 x 128 (demo)
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    # Large-scale jitter (the LSJ recipe of Mask2Former's COCO configs, narrower range).
    dict(type='RandomResize', scale=image_size, ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes, min_area=4),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'task',
                                          'classes')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadPanopticAnnotations', with_bbox=False, with_label=False, with_mask=False,
         with_seg=True, backend_args=backend_args),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_train.json',
        data_prefix=dict(img='train/', seg='annotations/panoptic_train/'),
        # Per-image task sampling (OneFormer); separate models name one task in their leaf.
        tasks=('panoptic', 'instance', 'semantic'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(img='val/', seg='annotations/panoptic_val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='TaskEvaluator',
    metrics=dict(
        panoptic=dict(type='PanopticQualityMetric',
                      ann_file=data_root + 'annotations/panoptic_val.json',
                      seg_prefix=data_root + 'annotations/panoptic_val/'),
        instance=dict(type='InstanceSegMetric',
                      ann_file=data_root + 'annotations/instances_val.json'),
        semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
