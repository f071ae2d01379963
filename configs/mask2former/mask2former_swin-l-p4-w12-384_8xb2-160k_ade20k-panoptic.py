# Mask2Former Swin-L (IN-22k, 384) on ADE20K panoptic, 160k iterations, batch 16:
# facebookresearch/Mask2Former configs/ade20k/panoptic-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_160k.yaml. Published (MODEL_ZOO.md): 48.1 PQ / 34.2 AP /
# 54.5 mIoU, 216M params (OneFormer paper Tab. 1). Trained on panoptic targets only; evaluated on
# all three tasks.
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/ade20k_panoptic.py',
    '../_base_/schedules/adamw_poly.py', '../_base_/default_runtime.py'
]
num_things, num_stuff = _base_.num_things_classes, _base_.num_stuff_classes  # NUM_CLASSES 150
num_queries = 200  # MASK_FORMER.NUM_OBJECT_QUERIES (Swin-L)
max_iters = 160000  # SOLVER.MAX_ITER, poly (power 0.9)

model = dict(
    backbone=dict(
        _delete_=True,  # backbone swap: R50 -> Swin-L (MODEL.SWIN.*)
        type='mmdet.SwinTransformer',
        pretrain_img_size=384,  # PRETRAIN_IMG_SIZE
        embed_dims=192,  # EMBED_DIM
        depths=[2, 2, 18, 2],  # DEPTHS
        num_heads=[6, 12, 24, 48],  # NUM_HEADS
        window_size=12,  # WINDOW_SIZE
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.3,  # DROP_PATH_RATE
        patch_norm=True,  # PATCH_NORM
        use_abs_pos_embed=False,  # APE
        out_indices=(0, 1, 2, 3),
        convert_weights=True,  # loads the official swin_large_patch4_window12_384_22k weights
        init_cfg=None),  # no download: dict(type='Pretrained', checkpoint='/local/swin_l.pth')
    panoptic_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff,
        num_queries=num_queries))
# Crop 640 (INPUT.CROP.SIZE; short side 0.5-2.0 x 640, long side <= 2560; MIN_SIZE_TEST 640):
# the dataset base's size-dependent steps, rebuilt (the base has OneFormer R50's crop, 512).
image_size = (640, 640)
resize_640 = dict(
    RandomChoiceResize=dict(scales=[(2560, int(x * 0.1 * 640)) for x in range(5, 21)]),
    RandomCrop=dict(crop_size=image_size), Resize=dict(scale=(2560, 640)))
train_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.train_pipeline]
test_pipeline = [dict(t, **resize_640.get(t['type'], {})) for t in _base_.test_pipeline]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_dataloader = dict(  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
    batch_size=2, dataset=dict(pipeline=train_pipeline, tasks=('panoptic', )))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
