# Mask2Former Swin-L (IN-22k weights, 384) on COCO instance, 100 epochs (737,500 iterations),
# batch 16: facebookresearch/Mask2Former configs/coco/instance-segmentation/swin/
# maskformer2_swin_large_IN21k_384_bs16_100ep.yaml. Published (MODEL_ZOO.md): 50.1 AP (36.2
# boundary AP) on the official instances_val2017, 216M params (OneFormer paper Tab. 3). The target
# of the official release (tools/convert_checkpoint.py). The Swin-L panoptic leaf (backbone, 200
# queries, SOLVER.STEPS) with the R50 instance leaf's task settings (and its deviation: trained and
# evaluated on instance GT derived from COCO panoptic).
_base_ = ['./mask2former_swin-l_8xb2-100e_coco-panoptic.py']
# Instance models classify the thing classes only (their labels come first): NUM_CLASSES 80.
model = dict(panoptic_head=dict(num_stuff_classes=0))
# DATALOADER.FILTER_EMPTY_ANNOTATIONS: images without a (non-crowd) thing are skipped.
train_dataloader = dict(dataset=dict(tasks=('instance', ), filter_cfg=dict(filter_empty_gt=True)))
# TEST.INSTANCE_ON only: the task loops evaluate mask AP alone.
val_cfg = test_cfg = dict(tasks=['instance'])
