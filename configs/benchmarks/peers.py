# Peer speed (`python tools/benchmark.py peers configs/benchmarks/peers.py`): unibench, mmdet 3.3's
# Mask2Former and HF transformers' Mask2Former / OneFormer at the same configuration, in one
# process, on the same images and targets -> docs/performance.md. Each setting is a unibench
# config; the peers are built from its numbers (backbone, widths, queries, layers, points).
work_root = 'work_dirs/peers'
out = 'docs/performance.md'
steps = 5  # timed training steps per implementation (median), after `warmup`
warmup = 2
infer_images = 10  # timed single-image inferences (median), after `warmup`

m2f_demo = 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
of_demo = 'configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py'
m2f_r50 = 'configs/mask2former/mask2former_r50_8xb2-50e_coco-panoptic.py'
of_r50 = 'configs/oneformer/oneformer_r50_8xb2-50e_coco.py'
random_init = {'model.backbone.init_cfg': None}  # the speed does not depend on the weights
# A setting's `precision` (default 'fp32') is every implementation's training precision: the
# demo configs' own bf16 autocast gives way to it. 'bf16': torch.autocast around forward and loss
# for all (unibench's pixel decoder stays fp32, as the official code's under AMP).
settings = [
    dict(name='Mask2Former R18, demo (64², batch 16)', config=m2f_demo, size=64, batch=16,
         cfg_options=random_init),
    dict(name='OneFormer R18, demo (64², batch 16)', config=of_demo, size=64, batch=16,
         cfg_options=random_init),
    dict(name='Mask2Former R50 (256², batch 2)', config=m2f_r50, size=256, batch=2),
    dict(name='OneFormer R50 (256², batch 2)', config=of_r50, size=256, batch=2),
    dict(name='Mask2Former R18, demo (64², batch 16), bf16', config=m2f_demo, size=64, batch=16,
         cfg_options=random_init, precision='bf16'),
    dict(name='OneFormer R18, demo (64², batch 16), bf16', config=of_demo, size=64, batch=16,
         cfg_options=random_init, precision='bf16'),
]
# On a GPU (--device cuda): the papers' crop.
gpu_settings = [
    dict(name='Mask2Former R50 (1024², batch 2)', config=m2f_r50, size=1024, batch=2),
    dict(name='OneFormer R50 (1024², batch 2)', config=of_r50, size=1024, batch=2),
    dict(name='Mask2Former R50 (1024², batch 2), bf16', config=m2f_r50, size=1024, batch=2,
         precision='bf16'),
    dict(name='OneFormer R50 (1024², batch 2), bf16', config=of_r50, size=1024, batch=2,
         precision='bf16'),
]
