# Cityscapes fine panoptic (CityscapesPanopticDataset; cityscapesScripts createPanopticImgs.py
# output, see docs/datasets.md). Contiguous labels: 8 thing classes first, then 11 stuff classes
# (the JSON lists them by label id, stuff first). Augmentation: Mask2Former / OneFormer
# Base-Cityscapes-*.yaml: short side chosen from 512-2048 (0.5-2.0 x 1024, long side <= 4096),
# crop 512 x 1024, SSD colour jitter, hflip; test at full resolution 1024 x 2048.
dataset_type = 'CityscapesPanopticDataset'
data_root = 'data/cityscapes/'
num_things_classes = 8
num_stuff_classes = 11
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (512, 1024)  # (h, w): INPUT.CROP.SIZE
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    # MIN_SIZE_TRAIN_SAMPLING "choice": (long-side cap MAX_SIZE_TRAIN, short side), mmcv order.
    dict(type='RandomChoiceResize', keep_ratio=True,
         scales=[(4096, int(x * 0.1 * 1024)) for x in range(5, 21)]),
    dict(type='RandomCrop', crop_size=image_size[::-1], crop_type='absolute',  # mmdet: (w, h)
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='PhotoMetricDistortion'),  # COLOR_AUG_SSD
    dict(type='RandomFlip', prob=0.5),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'task',
                                          'classes')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),  # MIN_SIZE_TEST 1024, MAX 2048
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
        ann_file='gtFine/cityscapes_panoptic_train.json',
        data_prefix=dict(img='leftImg8bit/train/', seg='gtFine/cityscapes_panoptic_train/'),
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
        ann_file='gtFine/cityscapes_panoptic_val.json',
        data_prefix=dict(img='leftImg8bit/val/', seg='gtFine/cityscapes_panoptic_val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# PQ on the panoptic GT (as detectron2's cityscapes panoptic evaluator); mask AP with COCO's
# protocol on instance GT derived from it (the official cityscapesScripts AP differs in matching
# and area ranges); mIoU on the semantic map of the panoptic PNG, which equals labelTrainIds.
val_evaluator = dict(
    type='TaskEvaluator',
    metrics=dict(
        panoptic=dict(type='PanopticQualityMetric',
                      ann_file=data_root + 'gtFine/cityscapes_panoptic_val.json',
                      seg_prefix=data_root + 'gtFine/cityscapes_panoptic_val/'),
        instance=dict(type='InstanceSegMetric',
                      ann_file=data_root + 'gtFine/cityscapes_panoptic2instances_val.json'),
        semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
