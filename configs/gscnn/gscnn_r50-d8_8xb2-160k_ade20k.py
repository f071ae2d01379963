# Gated-SCNN R50-D8 on ADE20K-150 with the budget of the mmseg specialists next to it (16 images
# per iteration, 512 crops, 160k iterations, SGD poly); the release trains on Cityscapes only.
_base_ = ['../_base_/models/gscnn_r50-d8.py', '../_base_/datasets/ade20k_semantic.py',
          '../_base_/schedules/sgd_poly_160k.py', '../_base_/default_runtime.py']
model = dict(num_classes=_base_.num_classes)
