# SegGPT ViT-L/16 trained on COCO panoptic (semantic and instance colouring derived from the
# panoptic annotation) at the paper's schedule (SegGPT §4.1): AdamW, lr 1e-4, wd 0.05, cosine,
# 9k iterations with 1.8k warm-up, batch 2048 (here 64 GPUs x 2 images x 16 accumulation steps,
# Painter's layout; the paper gives only the total), 448 x 448 per image, initialised from the
# Painter checkpoint. The paper trains on a mix of ten datasets; this leaf is the COCO part.
# Prompts for the PQ / AP / mIoU evaluation: k from the training split, seeded (test_cfg).
_base_ = ['../_base_/models/seggpt_vit-l.py', '../_base_/datasets/coco_panoptic.py',
          '../_base_/schedules/adamw_cosine.py', '../_base_/default_runtime.py']
img_size = _base_.img_size
scale = (img_size, img_size)  # Painter / SegGPT resize every image to 448 x 448
num_things = _base_.num_things_classes
location_cells = (4, 20)  # Painter's 80 x 80 location grid on COCO
backend_args = _base_.backend_args
accumulation = 16  # 64 GPUs x 2 images x 16 = 2048 images per optimizer step
max_iters = 9000 * accumulation  # runner iterations: 9k optimizer steps

# Per image (PainterPairDataset pairs the results): the dataset's flip, then Painter's random
# resized crop (main_train.py: area 0.3-1, ratio 3/4-4/3, squashed to 448 x 448, no padding, as
# the test resize), and colour jitter.
painter_sizes = dict(Resize=dict(scale=scale, keep_ratio=False))
image_pipeline = _base_.train_pipeline[:3] + [
    dict(type='PainterRandomResizedCrop', size=scale, scale=(0.3, 1.0)),
    dict(type='PhotoMetricDistortion')]
pair_pipeline = [
    # Random colours for every semantic sample (the Painter initialisation knows the palette);
    # half of the instance samples in Painter's location colours, which inference decodes.
    dict(type='PainterColorize', num_classes=_base_.num_classes, num_things_classes=num_things,
         location_cells=location_cells, palette_prob=0.0, location_prob=0.5),
    dict(type='PackPainterInputs'),
]
# Inference prompts (no augmentation) and queries: every image resized to the painter size.
prompt_pipeline = _base_.train_pipeline[:2] + [dict(type='Resize', scale=scale, keep_ratio=False)]
test_pipeline = [dict(t, **painter_sizes.get(t['type'], {})) for t in _base_.test_pipeline]
# The dataset's train split without its per-image tasks and pipeline (the painter's are above).
train_split = {k: v for k, v in _base_.train_dataloader.dataset.items()
               if k not in ('tasks', 'pipeline')}

model = dict(
    num_classes=_base_.num_classes,
    num_things_classes=num_things,
    location_cells=location_cells,
    # Local Painter checkpoint (no downloads here): backbone.* / decode_head.* keys.
    init_cfg=None,
    # Painter's COCO panoptic merge (COCOPanoEvaluatorCustom.py): instance score 0.55, stuff
    # regions of 8192 px (original image size), overlap 0.5.
    test_cfg=dict(prompt_dataset=dict(train_split, pipeline=prompt_pipeline, test_mode=True),
                  pan_score_thr=0.55, stuff_min_area=8192))

train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        _delete_=True,  # the painter's pairs replace the per-image panoptic dataset
        type='PainterPairDataset',
        dataset=dict(train_split, pipeline=image_pipeline),
        pipeline=pair_pipeline,
        tasks=('semantic', 'instance'),
        task_probs=(0.625, 0.375),  # Painter's COCO semantic : instance weights 0.25 : 0.15
        mix_prob=0.25))  # the paper gives no rate for its mixed contexts
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(accumulative_counts=accumulation)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=max_iters // 5),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=max_iters // 5, end=max_iters,
         eta_min=0.0),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
