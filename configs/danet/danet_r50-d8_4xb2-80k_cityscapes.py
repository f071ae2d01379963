# DANet R50-D8 on Cityscapes at mmseg's setting (danet_r50-d8_4xb2-80k_cityscapes-512x1024.py: 8
# images per iteration, 512 x 1024 crops, 80k iterations, SGD poly, whole-image test).
_base_ = ['../_base_/models/danet_r50-d8.py', '../_base_/datasets/cityscapes_semantic.py',
          '../_base_/schedules/sgd_poly.py', '../_base_/default_runtime.py']
model = dict(decode_head=dict(num_classes=_base_.num_classes),
             auxiliary_head=dict(num_classes=_base_.num_classes))
