# SegGPT-style painter trained once on semantic and instance colouring of the 64 x 64 shapes
# benchmark (both derived from the panoptic annotation) and evaluated on panoptic, instance and
# semantic segmentation with one prompt pair from the training split. The ViT-T of the model base
# at the benchmark's size: patch 8 on 64 x 64 halves, the same 16 x 8 token canvas as patch 16 on
# 128 x 128. Measured on 2 CPU cores at 128 x 128 (`python tools/train.py`, the earlier 128^2
# leaf): 2000 iterations in 43 min reached mIoU 0.2, PQ 0, AP 0 - the from-scratch ViT paints one
# mean colour per task. SegGPT starts from Painter, itself from MAE weights.
_base_ = [
    '../_base_/models/seggpt_vit-t.py', '../_base_/datasets/shapes64.py',
    '../_base_/default_runtime.py'
]
img_size = _base_.image_size[0]
patch_size = 8
scale = (img_size, img_size)  # every image is painted at the dataset's size
num_things = _base_.num_things_classes
num_classes = num_things + _base_.num_stuff_classes
location_cells = (2, 4)  # an 8 x 8 location grid: 8-pixel cells (Painter: 80 x 80 on COCO)
backend_args = _base_.backend_args
max_iters = 2000

image_pipeline = [  # per image; PainterPairDataset pairs the results
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True,
         backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    # Random resized crop (SegGPT §4.1) as jitter + crop + pad to the painter size.
    dict(type='RandomResize', scale=scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=scale, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='Pad', size=scale, pad_val=dict(img=0, seg=255)),
]
pair_pipeline = [
    dict(type='PainterColorize', num_classes=num_classes, num_things_classes=num_things,
         # Mostly the inference colours: training from scratch, the model first has to learn
         # to segment at all, which the fixed palette teaches fastest (SegGPT starts from the
         # palette-trained Painter); a quarter of the samples keep SegGPT's random colouring.
         location_cells=location_cells, palette_prob=0.75, location_prob=0.75),
    dict(type='PackPainterInputs'),
]
prompt_pipeline = [  # inference prompts: no augmentation
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
    ann_file='annotations/panoptic_train.json',
    data_prefix=dict(img='train/', seg='annotations/panoptic_train/'),
    filter_cfg=dict(filter_empty_gt=False),
    backend_args=backend_args)

model = dict(
    backbone=dict(img_size=(2 * img_size, img_size), patch_size=patch_size,
                  pretrain_img_size=img_size),
    num_classes=num_classes,
    num_things_classes=num_things,
    location_cells=location_cells,
    # stuff_min_area: COCO's 4096 px of ~1e6 px (0.4%) is 16 px of a 64 x 64 image.
    test_cfg=dict(prompt_dataset=dict(train_split, pipeline=prompt_pipeline, test_mode=True),
                  stuff_min_area=16))

train_dataloader = dict(
    batch_size=8,  # a ViT step costs tokens x images: 8 canvases of 128 tokens
    dataset=dict(
        _delete_=True,  # the painter's pairs replace the per-image panoptic dataset
        type='PainterPairDataset',
        dataset=dict(train_split, pipeline=image_pipeline),
        pipeline=pair_pipeline,
        tasks=('semantic', 'instance'),
        mix_prob=0.1))  # the paper gives no rate for its mixed contexts
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# AdamW with linear warm-up for the first 20% and cosine decay (the paper's 1.8k of 9k), from
# scratch at 1e-3 (SegGPT fine-tunes Painter at 1e-4); Painter's gradient clip 3.0. No decay on
# norms, biases and the position table (Painter's param groups).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=3.0, norm_type=2),
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
