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
# resized crop (area 0.3-1, ratio 3/4-4/3, squashed to the painter size; the paper leaf's).
painter_sizes = dict(Resize=dict(scale=scale, keep_ratio=False))
image_pipeline = _base_.train_pipeline[:3] + [
    dict(type='PainterRandomResizedCrop', size=scale, scale=(0.3, 1.0))]
pair_pipeline = [
    dict(type='PainterColorize', num_classes=_base_.num_classes, num_things_classes=num_things,
         # Mostly the inference colours: training from scratch, the model first has to learn
         # to segment at all, which the fixed palette teaches fastest (SegGPT starts from the
         # palette-trained Painter); a quarter of the samples keep SegGPT's random colouring.
         location_cells=location_cells, palette_prob=0.75, location_prob=0.75),
    dict(type='PackPainterInputs'),
]
# Inference prompts (no augmentation) and queries: every image resized to the painter size.
prompt_pipeline = _base_.train_pipeline[:2] + [dict(type='Resize', scale=scale, keep_ratio=False)]
test_pipeline = [dict(t, **painter_sizes.get(t['type'], {})) for t in _base_.test_pipeline]
# The dataset's train split without its per-image tasks and pipeline (the painter's are above).
train_split = {k: v for k, v in _base_.train_dataloader.dataset.items()
               if k not in ('tasks', 'pipeline')}

# The encoder starts from the same dense pre-training as the query models' ResNet-18 (the same
# images and labels; tools/pretrain.py builds and caches it), the painter's MAE stage in
# miniature: from scratch the painter paints one median colour (mIoU 0.3 after 600 iterations),
# from it 5.5 (docs/cpu_budget.md).
encoder_pretraining = 'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense.py'
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

train_dataloader = dict(
    batch_size=8,  # a ViT step costs tokens x images: 8 canvases of 128 tokens
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

# 1e-3 (SegGPT fine-tunes Painter at 1e-4 over 9k iterations), the pre-trained encoder at x0.1
# as the query models' backbones. The base's groups (no decay on norms, biases and the position
# table) stated for a constructor that keeps them beside the multiplier: mmengine's default one
# drops its norm and bias rules for parameters that a `custom_keys` entry matches.
optim_wrapper = dict(
    constructor='OfficialParamGroupsConstructor',  # unibench/engine/optim.py
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(_delete_=True, backbone_multiplier=0.1, weight_decay_norm=0.0,
                       weight_decay_bias=0.0, no_decay_names=('pos_embed', )))
