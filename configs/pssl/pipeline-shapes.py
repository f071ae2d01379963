# PSSL end to end at small scale on the shapes dataset (python tools/pssl.py THIS_FILE):
# classifiers trained on crops around the thing instances of shapes train, pseudo labels from their
# SmoothGrad ensemble, PSPNet pre-trained on them, then fine-tuned on shapes semantic labels,
# against the same PSPNet fine-tuned from scratch with the same budget and seed. Cost: about 28
# CPU-minutes (~15 min on 2 free cores; 68 min measured on 2 cores shared at load 5-8). Li et al.,
# "Distilling Ensemble of Explanations for Weakly-Supervised Pre-Training of Image Segmentation
# Models", Machine Learning 2022.
work_root = 'work_dirs/pssl_shapes'
data_root = 'data/shapes/'
dataset_type = 'ShapesPanopticDataset'  # its thing classes label the crops
seed = 0
log_level = 'INFO'

# (a) the classification set: one square crop per thing instance, 1.5 x its box, at 48 px.
crops = dict(size=48, context=1.5, min_area=100, max_train=2000, max_val=300)
# (b) the classifiers of the ensemble (timm, from scratch): two families, as PSSL ensembles
# several architectures; small ones, so that they fit more epochs into the CPU budget.
classifiers = ['resnet10t', 'regnetx_002']
classifier_train = dict(epochs=8, batch_size=64, lr=3e-3, weight_decay=0.05)
# (c) SmoothGrad: InterpretDL's noise level (0.1 x the value range); 8 samples instead of its 50
# to fit the CPU budget.
smoothgrad = dict(noise=0.1, samples=8, batch_size=100)
# (d) pre-training and (e, f) fine-tuning, each from its config; the same fine-tuning budget for
# both initialisations. `options` are --cfg-options of the step's config.
pretrain = dict(config='configs/pssl/pspnet_r18-d8_1xb16-pssl_shapes-crops.py', max_iters=200,
                options=dict())
finetune = dict(config='configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py', max_iters=150,
                options=dict())
