# Mask2Former trained for panoptic segmentation only: one of the three "separate models".
_base_ = [
    '../_base_/models/mask2former_r18-small.py', '../_base_/datasets/shapes.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
num_things = _base_.num_things_classes
num_stuff = _base_.num_stuff_classes
max_iters = 3000
lr = 1e-3  # from scratch on CPU-sized runs (the paper's 1e-4 fine-tunes an ImageNet backbone)

model = dict(
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff,
        loss_cls=dict(class_weight=[1.0] * (num_things + num_stuff) + [0.1])),  # no-object 0.1
    panoptic_fusion_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
# The backbone is trained from scratch here, so it gets the full lr (the paper's x0.1 is for
# pretrained backbones).
optim_wrapper = dict(optimizer=dict(lr=lr),
                     paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
