# OneFormer Swin-T (IN-1k, 224) on ADE20K panoptic, 160k iterations, batch 16: SHI-Labs/OneFormer
# configs/ade20k/swin/oneformer_swin_tiny_bs16_160k.yaml (the R50 ADE20K recipe with MODEL.SWIN:
# 96, [2, 2, 6, 2], [3, 6, 12, 24], window 7, drop-path 0.3; 150 queries). The target of the HF
# release shi-labs/oneformer_ade20k_swin_tiny (tools/convert_checkpoint.py --from hf); no
# published number in the paper's tables.
_base_ = ['./oneformer_r50_8xb2-160k_ade20k.py', '../_base_/models/swin.py']
model = dict(backbone=dict(_base_.swin_t, _delete_=True))  # backbone swap: R50 -> Swin-T
