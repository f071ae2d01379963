# OneFormer ConvNeXt-L (IN-22k, 384) on ADE20K panoptic, 160k iterations, batch 16:
# SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml.
# Published (paper Tab. 1): 50.0 PQ / 36.2 AP / 56.6 mIoU, 220M params; our inference model:
# 219.8M (the official D2ConvNeXt adds 4 output LayerNorms, 5,760 params, timm has none).
# Data: ade20k_panoptic.py with crop 640 (short side 0.5-2.0 x 640, test 640), as the Swin-L leaf.
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/datasets/ade20k_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
# SEM_SEG_HEAD.NUM_CLASSES 150
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes
num_queries = 250  # ONE_FORMER.NUM_OBJECT_QUERIES
max_iters = 160000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: R50 -> ConvNeXt-L (MODEL.CONVNEXT.*) through timm
        type='TimmBackbone',
        model_name='convnext_large',  # DEPTHS [3, 3, 27, 3], DIMS [192, 384, 768, 1536]
        drop_path_rate=0.4,  # DROP_PATH_RATE
        ls_init_value=1.0,  # LSIT
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/cnx_l.pth')
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff,
                       num_queries=num_queries),
    text_mapper=dict(dataset_type=_base_.dataset_type),  # class names: its METAINFO
    test_cfg=dict(object_mask_thr=0.5,  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K)
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
# Crop 640 (INPUT.CROP.SIZE; short side 0.5-2.0 x 640, long side <= 2560; MIN_SIZE_TEST 640):
# the dataset base's size-dependent steps, rebuilt (the base has the R50 crop, 512).
image_size = (640, 640)
resize_640 = dict(
    RandomChoiceResize=dict(scales=[(2560, int(x * 0.1 * 640)) for x in range(5, 21)]),
    RandomCrop=dict(crop_size=image_size), Resize=dict(scale=(2560, 640)))
train_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.train_pipeline]
test_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.test_pipeline]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))  # 8 GPUs x 2 = 16
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
# The official train_net.py never clips: its nan_to_num loop exhausts the parameter
# iterator before clip_grad_norm_ (Mask2Former's does clip, at 0.01).
optim_wrapper = dict(clip_grad=None)
