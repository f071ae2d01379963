# Mask2Former Swin-L (IN-22k weights, 384) on ADE20K instance, 160k iterations, batch 16:
# facebookresearch/Mask2Former configs/ade20k/instance-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_160k.yaml. Published (MODEL_ZOO.md, whose row names the
# backbone "R50"): 34.9 AP, 216M params (OneFormer paper Tab. 1). The target of the official
# release (tools/convert_checkpoint.py). The Swin-L panoptic leaf (backbone, 200 queries, crop 640)
# with the R50 instance leaf's task settings.
_base_ = ['./mask2former_swin-l_8xb2-160k_ade20k-panoptic.py']
# Instance models classify the thing classes only (their labels come first): NUM_CLASSES 100.
model = dict(panoptic_head=dict(num_stuff_classes=0))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = test_cfg = dict(tasks=['instance'])
