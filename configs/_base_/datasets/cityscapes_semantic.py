# Cityscapes fine 19-class semantic (CityscapesSemanticDataset; gtFine/*_labelTrainIds.png from
# cityscapesScripts createTrainIdLabelImgs.py, see docs/datasets.md), relabelled to
# CityscapesPanopticDataset's order (8 thing classes first). Augmentation: Mask2Former
# Base-Cityscapes-SemanticSegmentation.yaml: short side chosen from 512-2048 (long <= 4096),
# crop 512 x 1024, SSD colour jitter, hflip; test at full resolution 1024 x 2048.
dataset_type = 'CityscapesSemanticDataset'
data_root = 'data/cityscapes/'
# Semantic-only data: a model classifies all 19 classes as stuff (one mask per class present).
num_things_classes = 0
num_stuff_classes = 19
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (512, 1024)  # (h, w): INPUT.CROP.SIZE
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='mmseg.LoadAnnotations', backend_args=backend_args),  # gt_seg_map, label_map applied
    dict(type='RandomChoiceResize', keep_ratio=True,
         scales=[(4096, int(x * 0.1 * 1024)) for x in range(5, 21)]),
    dict(type='RandomCrop', crop_size=image_size[::-1], crop_type='absolute',  # mmdet: (w, h)
         allow_negative_crop=True),
    dict(type='PhotoMetricDistortion'),  # COLOR_AUG_SSD
    dict(type='RandomFlip', prob=0.5),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes, tasks=('semantic', )),
    dict(type='PackDetInputs', meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor',
                                          'flip', 'flip_direction', 'task')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),  # MIN_SIZE_TEST 1024, MAX 2048
    dict(type='mmseg.LoadAnnotations', backend_args=backend_args),
    dict(type='PackDetInputs', meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,  # per GPU: the leaves' N x 2 (8 x 2 = the papers' batch 16)
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
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
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(type='TaskEvaluator', metrics=dict(semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
