# OneFormer trained on panoptic targets only (no task sampling; the task token is always
# "panoptic"): the single-task row of the OneFormer paper's App. Tab. IV, on the shapes demo.
_base_ = ['./oneformer_r18_1xb8-3k_shapes.py']

train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
