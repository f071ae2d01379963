# Mask2Former R50 on ADE20K instance, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/instance-segmentation/maskformer2_R50_bs16_160k.yaml. Published (MODEL_ZOO.md):
# 26.4 AP. Instance GT derived from the panoptic annotation (the official ade20k_instance_*.json
# comes from the same instance masks).
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# Instance models classify the thing classes only (their labels come first).
num_things, num_stuff = _base_.num_things_classes, 0  # NUM_CLASSES 100
max_iters = 160000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff))
# Crop 640 (INPUT.CROP.SIZE; short side 0.5-2.0 x 640, long side <= 2560; MIN_SIZE_TEST 640):
# the dataset base's size-dependent steps, rebuilt (the base has OneFormer R50's crop, 512).
image_size = (640, 640)
resize_640 = dict(
    RandomChoiceResize=dict(scales=[(2560, int(x * 0.1 * 640)) for x in range(5, 21)]),
    RandomCrop=dict(crop_size=image_size), Resize=dict(scale=(2560, 640)))
train_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.train_pipeline]
test_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.test_pipeline]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
    batch_size=2,
    dataset=dict(pipeline=train_pipeline, tasks=('instance', ),
                 filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = dict(tasks=['instance'])
test_cfg = dict(tasks=['instance'])
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
