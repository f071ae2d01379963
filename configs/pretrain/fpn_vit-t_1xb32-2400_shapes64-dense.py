# The painter's pre-training on the shapes suites: the query models' stage
# (fpn_r18-w32_1xb32-2400_shapes64-dense.py: the same 4,000 images of seed 1, labels, batch,
# schedule and light FPN-style head, discarded afterwards) for the painter's ViT, which cannot take
# the ResNet's weights. Its single-image forward (PainterViT.forward: the 8 x 8 tokens of a 64 x 64
# image, all four outputs at stride 8) trains the patch embedding, the position table and every
# block; the painter's own tokens (mask, segment, type) keep their initialisation. So every family
# of a suite starts from dense segmentation of the same images, the papers' ImageNet / MAE stage in
# miniature; the painter loads it with init_cfg=dict(type='CachedPretrained', pretrain=THIS), and a
# suite reports its cost as a row of its own.
_base_ = ['./fpn_r18-w32_1xb32-2400_shapes64-dense.py']
# The painter leaf's encoder (configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py over
# configs/_base_/models/seggpt_vit-t.py), spelled out because a pre-training config cannot also
# inherit the painter's model; tests/engine/test_pretrained.py checks that the two agree, and
# CachedPretrained refuses weights whose keys or shapes differ.
img_size = 64
model = dict(
    backbone=dict(
        _delete_=True, type='PainterViT', img_size=(2 * img_size, img_size), patch_size=8,
        embed_dim=128, depth=6, num_heads=4, mlp_ratio=4.0, drop_path_rate=0.0,
        pretrain_img_size=img_size, merge_index=0, out_indices=(1, 2, 4, 5)),
    decode_head=dict(feature_strides=[8, 8, 8, 8]))  # every ViT output is at the patch stride
