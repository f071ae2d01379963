# SegGPT ViT-L/16 trained on COCO panoptic (semantic and instance colouring derived from the
# panoptic annotation) at the paper's schedule (SegGPT §4.1): AdamW, lr 1e-4, wd 0.05, cosine,
# 9k iterations with 1.8k warm-up, batch 2048 (here 64 GPUs x 2 images x 16 accumulation steps,
# Painter's layout; the paper gives only the total), 448 x 448 per image, initialised from the
# Painter checkpoint. The paper trains on a mix of ten datasets; this leaf is the COCO part.
# Prompts for the PQ / AP / mIoU evaluation: k from the training split, seeded (test_cfg).
_base_ = [
    '../_base_/models/seggpt_vit-l.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/default_runtime.py'
]
img_size = _base_.img_size
scale = (img_size, img_size)  # Painter / SegGPT resize every image to 448 x 448
num_things = _base_.num_things_classes
num_classes = num_things + _base_.num_stuff_classes
location_cells = (4, 20)  # Painter's 80 x 80 location grid on COCO
backend_args = _base_.backend_args
accumulation = 16  # 64 GPUs x 2 images x 16 = 2048 images per optimizer step
max_iters = 9000 * accumulation  # runner iterations: 9k optimizer steps

image_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    # Random resized crop (Painter's min scale 0.3) as jitter + crop + pad; colour jitter.
    dict(type='RandomResize', scale=scale, ratio_range=(1.0, 1.8), keep_ratio=True),
    dict(type='RandomCrop', crop_size=scale, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='Pad', size=scale, pad_val=dict(img=0, seg=255)),
    dict(type='PhotoMetricDistortion'),
]
pair_pipeline = [
    # Random colours for every semantic sample (the Painter initialisation knows the palette);
    # half of the instance samples in Painter's location colours, which inference decodes.
    dict(type='PainterColorize', num_classes=num_classes, num_things_classes=num_things,
         location_cells=location_cells, palette_prob=0.0, location_prob=0.5),
    dict(type='PackPainterInputs'),
]
prompt_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='Resize', scale=scale, keep_ratio=False),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='Resize', scale=scale, keep_ratio=False),
    dict(type='LoadPanopticAnnotations', with_bbox=False, with_label=False, with_mask=False,
         with_seg=True, backend_args=backend_args),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor')),
]
train_split = dict(
    type=_base_.dataset_type,
    data_root=_base_.data_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    filter_cfg=dict(filter_empty_gt=False),
    backend_args=backend_args)

model = dict(
    num_classes=num_classes,
    num_things_classes=num_things,
    location_cells=location_cells,
    # Local Painter checkpoint (no downloads here): backbone.* / decode_head.* keys.
    init_cfg=None,
    test_cfg=dict(prompt_dataset=dict(train_split, pipeline=prompt_pipeline, test_mode=True)))

train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        _delete_=True,  # the painter's pairs replace the per-image panoptic dataset
        type='PainterPairDataset',
        dataset=dict(train_split, pipeline=image_pipeline),
        pipeline=pair_pipeline,
        tasks=('semantic', 'instance'),
        mix_prob=0.25))  # the paper gives no rate for its mixed contexts
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, betas=(0.9, 0.999)),
    accumulative_counts=accumulation,
    clip_grad=dict(max_norm=3.0, norm_type=2),  # Painter's clip (SegGPT states none)
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=max_iters // 5),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=max_iters // 5, end=max_iters,
         eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='TaskValLoop')
test_cfg = dict(type='TaskTestLoop')
