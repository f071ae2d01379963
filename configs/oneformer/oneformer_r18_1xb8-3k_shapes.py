# OneFormer trained once, jointly on panoptic, instance and semantic targets (task sampled per
# image, as the dataset base sets), on the shapes demo; schedule as the Mask2Former shapes leaves.
_base_ = [
    '../_base_/models/oneformer_r18-small.py', '../_base_/datasets/shapes.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
num_things = _base_.num_things_classes
num_stuff = _base_.num_stuff_classes
max_iters = 3000
lr = 3e-4  # from-scratch backbone on CPU-sized batches (the paper's 1e-4 fine-tunes ImageNet R50)

model = dict(
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff),
    text_mapper=dict(dataset_type=_base_.dataset_type),  # class names: the dataset's METAINFO
    panoptic_fusion_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff))
# Official SOLVER.WEIGHT_DECAY_EMBED = 0: no decay on the nn.Embedding weights.
no_decay = dict(decay_mult=0.0)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys=dict(query_embed=no_decay, level_embed=no_decay,
                                        level_encoding=no_decay, prompt_ctx=no_decay,
                                        token_embedding=no_decay)))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
