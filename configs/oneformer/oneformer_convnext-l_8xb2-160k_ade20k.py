# OneFormer ConvNeXt-L (IN-22k, 384) on ADE20K panoptic, 160k iterations, batch 16:
# SHI-Labs/OneFormer configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml.
# Published (paper Tab. 1): 50.0 PQ / 36.2 AP / 56.6 mIoU, 220M params; our inference model:
# 219.8M (the official D2ConvNeXt adds 4 output LayerNorms, 5,760 params, timm has none).
# Data (lead's base, not written yet): as the Swin-L leaf (crop 640); add
# '../_base_/datasets/ade20k_panoptic.py'.
_base_ = [
    '../_base_/models/oneformer_r50.py', '../_base_/schedules/adamw_poly.py',
    '../_base_/default_runtime.py'
]
num_things, num_stuff = 100, 50  # SEM_SEG_HEAD.NUM_CLASSES 150
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
    text_mapper=dict(dataset_type='ADE20KPanopticDataset'),
    panoptic_fusion_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff),
    test_cfg=dict(object_mask_thr=0.5,  # MODEL.TEST.OBJECT_MASK_THRESHOLD (ADE20K)
                  max_per_image=num_queries))  # TEST.DETECTIONS_PER_IMAGE 250
train_dataloader = dict(batch_size=2)  # 8 GPUs x 2 = SOLVER.IMS_PER_BATCH 16
no_decay = dict(decay_mult=0.0)  # SOLVER.WEIGHT_DECAY_EMBED 0 (nn.Embedding weights)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    query_embed=no_decay, level_embed=no_decay, level_encoding=no_decay, prompt_ctx=no_decay,
    token_embedding=no_decay)))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=5000)  # TEST.EVAL_PERIOD
