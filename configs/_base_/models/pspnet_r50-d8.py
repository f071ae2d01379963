# PSPNet R50-D8 (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017) as mmseg's
# configs/_base_/models/pspnet_r50-d8.py: the shared dilated ResNetV1c-50 and FCN auxiliary head
# (semantic_r50-d8.py), pyramid pooling (bins 1, 2, 3, 6) on stage 4 (its `psp_head`, FastFCN's
# too). Head input channels are read from the backbone (unibench SemanticSegmentor bridge).
_base_ = ['./semantic_r50-d8.py']

model = dict(
    type='SemanticSegmentor',
    family='pspnet',
    decode_head=_base_.psp_head,
    auxiliary_head=_base_.auxiliary_head)
