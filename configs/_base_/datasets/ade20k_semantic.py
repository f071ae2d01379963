# ADE20K-150 semantic, SceneParsing layout (ADE20KSemanticDataset; docs/datasets.md): label 0
# ("other") is ignored and k is class k-1, relabelled to ADE20KPanopticDataset's order (100 thing
# classes first) so panoptic-trained models can be scored on the official semantic GT.
# Augmentation: Mask2Former Base-ADE20K-SemanticSegmentation.yaml (R50): short side chosen from
# 0.5-2.0 x 512 (long side <= 2048), crop 512 x 512, SSD colour jitter, hflip; test short side 512.
dataset_type = 'ADE20KSemanticDataset'
data_root = 'data/ADEChallengeData2016/'
# Semantic-only data: a model classifies all 150 classes as stuff (one mask per class present).
num_things_classes = 0
num_stuff_classes = 150
num_classes = num_things_classes + num_stuff_classes  # per-pixel classifiers, painter palette
image_size = (512, 512)  # INPUT.CROP.SIZE = MIN_SIZE_TEST (640 for Swin-B/L); MAX_SIZE = 4 x crop
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='mmseg.LoadAnnotations', backend_args=backend_args),  # gt_seg_map, label_map applied
    dict(type='RandomChoiceResize', keep_ratio=True,
         scales=[(4 * image_size[0], int(x * 0.1 * image_size[0])) for x in range(5, 21)]),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute',
         allow_negative_crop=True),  # SINGLE_CATEGORY_MAX_AREA 1.0: no class-ratio check
    dict(type='PhotoMetricDistortion'),  # COLOR_AUG_SSD
    dict(type='RandomFlip', prob=0.5),
    dict(type='DeriveTaskTargets', num_things_classes=num_things_classes, tasks=('semantic', )),
    dict(type='PackDetInputs', meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor',
                                          'flip', 'flip_direction', 'task')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=(4 * image_size[0], image_size[0]), keep_ratio=True),
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
        data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
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
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(type='TaskEvaluator', metrics=dict(semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
