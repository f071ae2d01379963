# OneFormer Swin-L (IN-22k, 384): oneformer_r50.py with the Swin-L backbone (SHI-Labs/OneFormer
# configs/*/swin/oneformer_swin_large_*.yaml). The queries are per dataset (the leaves).
_base_ = ['./oneformer_r50.py', './swin.py']

model = dict(backbone=dict(_base_.swin_l, _delete_=True))  # backbone swap: R50 -> Swin-L
