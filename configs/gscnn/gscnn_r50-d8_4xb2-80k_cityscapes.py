# Gated-SCNN R50-D8 on Cityscapes with the specialists' budget (8 images per iteration, 512 x 1024
# crops, 80k iterations, SGD poly 0.9). The release: WideResNet38, 720 crops, 8 x 1 images, 175
# epochs (~65k iterations), SGD lr 0.01, poly power 1.0, wd 1e-4.
_base_ = ['../_base_/models/gscnn_r50-d8.py', '../_base_/datasets/cityscapes_semantic.py',
          '../_base_/schedules/sgd_poly.py', '../_base_/default_runtime.py']
model = dict(num_classes=_base_.num_classes)
