# The painter's pre-training on the shapes suites: the query models' stage
# (fpn_r18-w32_1xb32-2400_shapes64-dense.py: the same 4,000 images of seed 1, labels, batch,
# schedule and light FPN-style head, discarded afterwards) for the painter's ViT, which cannot take
# the ResNet's weights, plus one target the painter's instance task needs: Panoptic-DeepLab's
# instance-centre offsets (CentreOffsetHead, a second head of the same form, discarded too).
# Its single-image forward (PainterViT.forward: the 8 x 8 tokens of a 64 x 64 image, all four
# outputs at stride 8) trains the patch embedding, the position table and every block; the
# painter's own tokens (mask, segment, type) keep their initialisation. The painter loads it with
# init_cfg=dict(type='CachedPretrained', pretrain=THIS), and a suite reports its cost as a row of
# its own.
#
# Why the offsets, for this family only: the painter paints an instance with the colour of the
# grid cell holding its mass centre, at every pixel of it, so each pixel's features must say where
# its instance's centre is; a query model gets its instances from mask queries instead. Measured at
# the demo's 300 painter iterations (docs/cpu_budget.md, eighth session): held-out mIoU of the
# stage 61.9 -> 72.7 (this machine 65.9), and with the painter leaf's heads at 1e-2 the painter's
# first instances (AP 0 -> 0.2, PQ^Th 0 -> 1.6). The same head on the ResNet's stage gave
# Mask2Former-panoptic PQ 36.1 -> 37.8 but OneFormer joint 26.2 -> 16.4 and 28.1 -> 25.4 (seeds
# 0 and 1), so the query models' stage stays as it is until the longer suite measures it.
_base_ = ['./fpn_r18-w32_1xb32-2400_shapes64-dense.py']
# The painter leaf's encoder (configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py over
# configs/_base_/models/seggpt_vit-t.py), spelled out because a pre-training config cannot also
# inherit the painter's model; tests/engine/test_pretrained.py checks that the two agree, and
# CachedPretrained refuses weights whose keys or shapes differ.
img_size = 64
decode_head = dict(_base_.model.decode_head, feature_strides=[8, 8, 8, 8])  # all at the patch
model = dict(
    backbone=dict(
        _delete_=True, type='PainterViT', img_size=(2 * img_size, img_size), patch_size=8,
        embed_dim=128, depth=6, num_heads=4, mlp_ratio=4.0, drop_path_rate=0.0,
        pretrain_img_size=img_size, merge_index=0, out_indices=(1, 2, 4, 5)),
    decode_head=decode_head,
    # Offsets in input pixels (about 1-10 on these images), weight 0.1: the loss starts near the
    # class loss's size (0.8 against 1.9) instead of Panoptic-DeepLab's 0.01 on 1024-pixel crops.
    offset_head=dict(type='CentreOffsetHead', num_things_classes=_base_.num_things_classes,
                     loss_weight=0.1, head=decode_head))
# The panoptic task's targets: one mask per thing instance (the offsets) and per stuff class; the
# class map the decode head trains on is the same as the semantic task's.
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
