# ADE20K-150 panoptic at crop 640 (INPUT.CROP.SIZE 640: short side 0.5-2.0 x 640, long side
# <= 2560, MIN_SIZE_TEST 640), the crop of every Mask2Former panoptic / instance model and of the
# Swin-L / ConvNeXt-L OneFormer: ade20k_panoptic.py (OneFormer R50's crop, 512) with the steps that
# depend on the size rebuilt.
_base_ = ['./ade20k_panoptic.py']
image_size = (640, 640)
resize_640 = dict(
    RandomChoiceResize=dict(
        scales=[(4 * image_size[0], int(x * 0.1 * image_size[0])) for x in range(5, 21)]),
    RandomCrop=dict(crop_size=image_size), Resize=dict(scale=(4 * image_size[0], image_size[0])))
train_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.train_pipeline]
test_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
