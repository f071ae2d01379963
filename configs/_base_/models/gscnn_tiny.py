# A test-sized Gated-SCNN: the model base (gscnn_r50-d8.py) with a plain-stem ResNet-18 of base
# width 16 (16-128 channels) dilated to output stride 8, trained from scratch, an ASPP of width 32
# with rates (1, 2, 3) for the 8 x 8 stride-8 map of a 64 x 64 image, and a shape stream of widths
# 16-2. Not a benchmark model; the code paths (gates, dual-task loss) are the release's.
_base_ = ['./gscnn_r50-d8.py']

model = dict(
    backbone=dict(type='mmseg.ResNet', depth=18, stem_channels=16, base_channels=16),
    head=dict(channels=32, fine_channels=16, shape_channels=(16, 8, 4, 2), dilations=(1, 2, 3)))
