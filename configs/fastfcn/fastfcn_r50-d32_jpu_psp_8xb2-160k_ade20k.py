# FastFCN (JPU + PSP) R50 on ADE20K-150 at mmseg's setting
# (fastfcn_r50-d32_jpu_psp_4xb4-160k_ade20k-512x512.py: 16 images per iteration, 160k iterations).
_base_ = ['../_base_/models/fastfcn_r50-d32_jpu_psp.py', '../_base_/datasets/ade20k_semantic.py',
          '../_base_/schedules/sgd_poly_160k.py', '../_base_/default_runtime.py']
model = dict(decode_head=dict(num_classes=_base_.num_classes),
             auxiliary_head=dict(num_classes=_base_.num_classes))
