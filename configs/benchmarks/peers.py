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
# The speed does not depend on the weights; the peers train in fp32, and so does unibench here
# (the demo configs' bf16 autocast is a recipe setting, not part of the implementation).
random_init = {'model.backbone.init_cfg': None, 'optim_wrapper.type': 'OptimWrapper'}
settings = [
    dict(name='Mask2Former R18, demo (64², batch 16)', config=m2f_demo, size=64, batch=16,
         cfg_options=random_init),
    dict(name='OneFormer R18, demo (64², batch 16)', config=of_demo, size=64, batch=16,
         cfg_options=random_init),
    dict(name='Mask2Former R50 (256², batch 2)', config=m2f_r50, size=256, batch=2),
    dict(name='OneFormer R50 (256², batch 2)', config=of_r50, size=256, batch=2),
]
# On a GPU (--device cuda): the papers' crop.
gpu_settings = [
    dict(name='Mask2Former R50 (1024², batch 2)', config=m2f_r50, size=1024, batch=2),
    dict(name='OneFormer R50 (1024², batch 2)', config=of_r50, size=1024, batch=2),
]
