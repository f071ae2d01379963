# PSSL pre-training (Li et al., 2022; PaddleSeg configs/pssl) of the shapes PSPNet: the same model,
# trained on object-centric crops (the role of ImageNet) labelled by tools/pssl.py with pseudo
# labels, the top SmoothGrad decile = the crop's class and the rest background. Loss: weighted
# cross-entropy, 1 for the object classes and 0.1 for background (PaddleSeg stdc1_seg_pssl.yml),
# which balances the ~1:9 area ratio of the top decile to the rest.
# The model is the shapes PSPNet's (pspnet_r18-d8_1xb8-3k_shapes.py, same bases), whose
# fine-tuning tools/pssl.py starts from these weights: its ResNet-18 and widths are restated here
# (tests/models/test_semantic_specialists.py checks that the two match).
_base_ = ['../_base_/models/pspnet_r50-d8.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
num_classes = _base_.num_things_classes + 1  # the thing classes (shapes labels 0-6) + background
class_weight = [1.0] * _base_.num_things_classes + [0.1]

model = dict(
    # 48 px crops are not padded: mmseg 1.2.2's CrossEntropyLoss with class_weight indexes the
    # weights with every label, so ignored (255) padding pixels would fail.
    data_preprocessor=dict(pad_size_divisor=8),
    backbone=dict(type='mmseg.ResNet', depth=18),
    decode_head=dict(channels=128, num_classes=num_classes,
                     loss_decode=dict(class_weight=class_weight)),
    auxiliary_head=dict(channels=64, num_classes=num_classes,
                        loss_decode=dict(class_weight=class_weight)))
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='mmseg.LoadAnnotations'),  # crops/ann/*.png: class id or background
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor',
                                          'flip', 'flip_direction')),
]
train_dataloader = dict(
    batch_size=16,  # 48 x 48 crops (spec crops.size): 0.28 x the pixels of a batch of 8 x 128^2
    dataset=dict(
        _delete_=True,  # a dataset swap: the shapes panoptic dataset's keys do not apply
        type='mmseg.BaseSegDataset',
        data_root='work_dirs/pssl_shapes/crops/',  # tools/pssl.py sets its work_root's
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        seg_map_suffix='.png',
        # ShapesPanopticDataset's thing classes (labels 0-6) and the pseudo labels' background.
        metainfo=dict(classes=('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon',
                               'background')),
        pipeline=train_pipeline))
# Pre-training only: no evaluation (the label set differs from the downstream one).
val_dataloader = val_cfg = val_evaluator = None
test_dataloader = test_cfg = test_evaluator = None
