# Mask2Former R50 on ADE20K semantic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/semantic-segmentation/maskformer2_R50_bs16_160k.yaml. Published (MODEL_ZOO.md):
# 47.2 mIoU (49.2 multi-scale). Crop 512 x 512 (the dataset base).
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_semantic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# Semantic data: every class is "stuff" to the model (one mask per class present).
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes  # NUM_CLASSES 150
max_iters = 160000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff))
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
# TEST.SEMANTIC_ON only: the task loops evaluate mIoU alone.
val_cfg = dict(tasks=['semantic'])
test_cfg = dict(tasks=['semantic'])
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
