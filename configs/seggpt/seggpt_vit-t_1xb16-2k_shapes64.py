# SegGPT-style painter trained once on semantic and instance colouring of the 64 x 64 shapes
# benchmark (both derived from the panoptic annotation) and evaluated on panoptic, instance and
# semantic segmentation with one prompt pair from the training split. The ViT-T of the model base
# at the benchmark's size: patch 8 on 64 x 64 halves, the same 16 x 8 token canvas as patch 16 on
# 128 x 128. Measured on 2 CPU cores at 128 x 128 (`python tools/train.py`, the earlier 128^2
# leaf): 2000 iterations in 43 min reached mIoU 0.2, PQ 0, AP 0 - the from-scratch ViT paints one
# mean colour per task. SegGPT starts from Painter, itself from MAE weights; here the encoder
# starts from the suite's dense pre-training (below).
_base_ = ['../_base_/models/seggpt_vit-t.py', '../_base_/datasets/shapes64.py',
          '../_base_/schedules/adamw_cosine.py', '../_base_/default_runtime.py']
img_size = _base_.image_size[0]
patch_size = 8
scale = (img_size, img_size)  # every image is painted at the dataset's size
num_things = _base_.num_things_classes
location_cells = (2, 4)  # an 8 x 8 location grid: 8-pixel cells (Painter: 80 x 80 on COCO)
backend_args = _base_.backend_args

# Per image (PainterPairDataset pairs the results): the dataset's flip, then Painter's random
# resized crop (ratio 3/4-4/3, squashed to the painter size) over the zoom range of the suite's
# other models: their jitter 0.8-1.25 zooms in by up to 1.25, a crop of 1 / 1.25^2 = 0.64 of
# the area (the paper leaf's 0.3-1 zooms in by up to 1.8: measured at 300 iterations, the
# suite's range gave mIoU 7.5 -> 8.5; docs/cpu_budget.md, seventh session).
painter_sizes = dict(Resize=dict(scale=scale, keep_ratio=False))
image_pipeline = _base_.train_pipeline[:3] + [
    dict(type='PainterRandomResizedCrop', size=scale, scale=(1 / _base_.jitter[1]**2, 1.0))]
pair_pipeline = [
    dict(type='PainterColorize', num_classes=_base_.num_classes, num_things_classes=num_things,
         # The inference colours only, Painter's training (SegGPT starts from the
         # palette-trained Painter checkpoint, which this short schedule stands in for): a
         # quarter of the samples with SegGPT's random colouring cost 0.8 mIoU at 300 iterations
         # (docs/cpu_budget.md, seventh session). The paper leaf keeps SegGPT's mix.
         location_cells=location_cells, palette_prob=1.0, location_prob=1.0),
    dict(type='PackPainterInputs'),
]
# Inference prompts (no augmentation) and queries: every image resized to the painter size.
prompt_pipeline = _base_.train_pipeline[:2] + [dict(type='Resize', scale=scale, keep_ratio=False)]
test_pipeline = [dict(t, **painter_sizes.get(t['type'], {})) for t in _base_.test_pipeline]
# The dataset's train split without its per-image tasks and pipeline (the painter's are above).
train_split = {k: v for k, v in _base_.train_dataloader.dataset.items()
               if k not in ('tasks', 'pipeline')}

# The encoder starts from the query models' dense pre-training for the ViT (the same images and
# labels) with the instance-centre offsets that location colouring needs (tools/pretrain.py
# builds and caches it), the painter's MAE stage in miniature: from scratch the painter paints one
# median colour (mIoU 0.3 after 600 iterations); the offsets gave its first instances at 300
# (docs/cpu_budget.md, eighth session).
encoder_pretraining = 'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py'
model = dict(
    backbone=dict(img_size=(2 * img_size, img_size), patch_size=patch_size,
                  pretrain_img_size=img_size,
                  init_cfg=dict(_delete_=True, type='CachedPretrained',
                                pretrain=encoder_pretraining)),
    num_classes=_base_.num_classes,
    num_things_classes=num_things,
    location_cells=location_cells,
    # stuff_min_area: COCO's 4096 px of ~1e6 px (0.4%) is 16 px of a 64 x 64 image.
    test_cfg=dict(prompt_dataset=dict(train_split, pipeline=prompt_pipeline, test_mode=True),
                  stuff_min_area=16))

train_dataloader = dict(  # batch 16, the suite's other models' (the dataset base's)
    dataset=dict(
        _delete_=True,  # the painter's pairs replace the per-image panoptic dataset
        type='PainterPairDataset',
        dataset=dict(train_split, pipeline=image_pipeline),
        pipeline=pair_pipeline,
        tasks=('semantic', 'instance'),
        task_probs=(0.625, 0.375),  # Painter's COCO semantic : instance weights 0.25 : 0.15
        mix_prob=0.1))  # the paper gives no rate for its mixed contexts
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# The pre-trained encoder at 1e-4 as before (frozen: mIoU 5.5, 3e-4: 5.0, against 6.7 at 1e-4 in
# the old recipe at 300 iterations), the new decoder and tokens at
# 1e-2 (SegGPT fine-tunes all of Painter at 1e-4 over 9k iterations of batch 2048; at 300
# iterations of batch 16, 1e-3 gave mIoU 9.4, 3e-3 23.5, 6e-3 23.6, 1e-2 24.2: docs/cpu_budget.md,
# seventh session; from the offset pre-training 3e-3 gave AP 0.0 and 1e-2 AP 0.2, eighth
# session); the painter's own tokens, which the pre-training does not train, at the
# decoder's rate (mIoU 23.5 -> 24.9). The base's groups (no decay on norms, biases and the
# position table) stated for a constructor that keeps them beside the multiplier: mmengine's
# default one drops its norm and bias rules for parameters that a `custom_keys` entry matches.
lr = 1e-2
encoder_lr = 1e-4
optim_wrapper = dict(
    type='AutocastOptimWrapper',  # bf16, as the query models (schedules/shapes64_1k.py)
    constructor='OfficialParamGroupsConstructor',  # unibench/engine/optim.py
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(_delete_=True, backbone_multiplier=encoder_lr / lr, weight_decay_norm=0.0,
                       weight_decay_bias=0.0, no_decay_names=('pos_embed', ),
                       full_lr_names=('mask_token', 'segment_token', 'type_token')))
