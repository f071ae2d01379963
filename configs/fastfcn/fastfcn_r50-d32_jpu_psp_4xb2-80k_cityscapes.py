# FastFCN (JPU + PSP) R50 on Cityscapes at mmseg's setting
# (fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py: 8 images per iteration, 80k
# iterations).
_base_ = ['../_base_/models/fastfcn_r50-d32_jpu_psp.py',
          '../_base_/datasets/cityscapes_semantic.py', '../_base_/schedules/sgd_poly.py',
          '../_base_/default_runtime.py']
model = dict(decode_head=dict(num_classes=_base_.num_classes),
             auxiliary_head=dict(num_classes=_base_.num_classes))
