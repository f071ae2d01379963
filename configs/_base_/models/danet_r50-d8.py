# DANet R50-D8 (Fu et al., "Dual Attention Network for Scene Segmentation", CVPR 2019) as mmseg's
# configs/_base_/models/danet_r50-d8.py: the shared dilated ResNetV1c-50 and FCN auxiliary head
# (semantic_r50-d8.py), position and channel attention (PAM key/query width 64) on stage 4 with
# its three outputs supervised (DAHead). Head input channels are read from the backbone (unibench
# SemanticSegmentor bridge).
_base_ = ['./semantic_r50-d8.py']

model = dict(
    type='SemanticSegmentor',
    family='danet',
    decode_head=dict(_base_.head, type='mmseg.DAHead', in_index=3, channels=512, pam_channels=64),
    auxiliary_head=_base_.auxiliary_head)
