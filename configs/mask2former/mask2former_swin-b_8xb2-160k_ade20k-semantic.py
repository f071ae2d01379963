# Mask2Former Swin-B on ADE20K semantic, 160k iterations, batch 16: facebookresearch/Mask2Former
# configs/ade20k/semantic-segmentation/swin/maskformer2_swin_base_384_bs16_160k_res640.yaml
# (IN-1k weights; the IN-22k weights, maskformer2_swin_base_IN21k_384_bs16_160k_res640.yaml, fit
# the same model). Published (MODEL_ZOO.md): 52.4 mIoU (53.7 multi-scale) with IN-1k weights, 53.9
# (55.1) with IN-22k. The target of both official releases (tools/convert_checkpoint.py). The R50
# leaf's recipe at crop 640 (INPUT.* of the res640 yamls: ade20k_semantic_640.py).
_base_ = ['../_base_/models/mask2former_r50.py', '../_base_/models/swin.py',
          '../_base_/datasets/ade20k_semantic_640.py', '../_base_/schedules/adamw_poly.py',
          '../_base_/default_runtime.py']
# Semantic data: every class is "stuff" to the model (one mask per class present), NUM_CLASSES 150.
model = dict(backbone=dict(_base_.swin_b, _delete_=True),  # backbone swap: R50 -> Swin-B
             panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                                num_stuff_classes=_base_.num_stuff_classes))
# TEST.SEMANTIC_ON only: the task loops evaluate mIoU alone.
val_cfg = test_cfg = dict(tasks=['semantic'])
