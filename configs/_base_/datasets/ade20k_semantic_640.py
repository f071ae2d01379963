# ADE20K-150 semantic at crop 640 (INPUT.CROP.SIZE 640: short side 0.5-2.0 x 640, long side
# <= 2560, MIN_SIZE_TEST 640), the crop of the Mask2Former Swin-B / Swin-L semantic models
# (ade20k/semantic-segmentation/swin/*_res640.yaml): ade20k_semantic.py (crop 512) with the steps
# that depend on the size rebuilt, as ade20k_panoptic_640.py does for the panoptic data.
_base_ = ['./ade20k_semantic.py']
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
