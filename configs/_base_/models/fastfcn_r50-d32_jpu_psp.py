# FastFCN (Wu et al., "FastFCN: Rethinking Dilated Convolution in the Backbone for Semantic
# Segmentation", 2019) with a PSP head, as mmseg's configs/_base_/models/fastfcn_r50-d32_jpu_psp.py:
# the shared ResNetV1c-50 (semantic_r50-d8.py) strided back to output stride 32, its stages 2-4
# fused back to stride 8 by the Joint Pyramid Upsampling neck (JPU, dilations 1, 2, 4, 8); PSP head
# on the JPU output, the shared FCN auxiliary head on stage 3. Head input channels are read from
# backbone + neck (the neck's are mmseg's API, stated here).
_base_ = ['./semantic_r50-d8.py']
norm_cfg = _base_.norm_cfg

model = dict(
    type='SemanticSegmentor',
    family='fastfcn',
    backbone=dict(
        out_indices=(1, 2, 3),
        strides=(1, 2, 2, 2)),  # mmseg keeps the dilations (1, 1, 2, 4) too: output stride 32
    neck=dict(
        type='mmseg.JPU',
        in_channels=(512, 1024, 2048),  # ResNet-50 stages 2-4
        mid_channels=512,
        start_level=0,
        end_level=-1,
        dilations=(1, 2, 4, 8),
        align_corners=False,
        norm_cfg=norm_cfg),
    # The neck's outputs: stages 2 and 3, then the JPU feature.
    decode_head=dict(_base_.psp_head, in_index=2),
    auxiliary_head=dict(_base_.auxiliary_head, in_index=1))
