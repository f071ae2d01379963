"""COCO, ADE20K and Cityscapes: panoptic datasets (things first) and semantic-only datasets.

Panoptic datasets read COCO-format panoptic annotations (a JSON file and a folder of RGB PNGs)
through :class:`~unibench.datasets.UniPanopticDataset`: category ids are matched to
``METAINFO['classes']`` by name, so contiguous labels put the thing classes first whatever the ids
and their order in the JSON (ADE20K interleaves things and stuff; Cityscapes lists stuff first).
The PNG of an image is the ``file_name`` of its annotation, as in detectron2's loaders.

Semantic-only datasets are mmseg's directory datasets with the panoptic datasets' class order: the
label files' native indices are remapped (mmseg ``label_map``), so a panoptic-trained model can be
scored on the official semantic ground truth and vice versa.

On-disk layouts (``data_root`` of ``configs/_base_/datasets/*``; commands in ``docs/datasets.md``)::

    data/coco/                                COCOPanopticDataset
        {train,val}2017/*.jpg
        annotations/panoptic_{train,val}2017.json, panoptic_{train,val}2017/*.png
        annotations/panoptic2instances_val2017.json   (convert.panoptic_to_instances, for AP)
    data/ADEChallengeData2016/                ADE20KPanopticDataset, ADE20KSemanticDataset
        images/{training,validation}/ADE_*.jpg
        annotations/{training,validation}/ADE_*.png   (uint8, 0 = other -> ignore, k -> class k-1)
        ade20k_panoptic_{train,val}.json, ade20k_panoptic_{train,val}/*.png
            (detectron2 / Mask2Former datasets/prepare_ade20k_pan_seg.py; category ids 0-149)
        ade20k_panoptic2instances_val.json    (convert.panoptic_to_instances, for AP)
    data/cityscapes/                          CityscapesPanopticDataset, CityscapesSemanticDataset
        leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
        gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png   (createTrainIdLabelImgs.py)
        gtFine/cityscapes_panoptic_{train,val}.json, cityscapes_panoptic_{train,val}/*.png
            (cityscapesScripts createPanopticImgs.py; label ids 7-33, string image ids)
        gtFine/cityscapes_panoptic2instances_val.json  (convert.panoptic_to_instances, for AP)
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmseg.datasets import BaseSegDataset

from unibench.datasets.panoptic import OrderedCOCOPanoptic, UniPanopticDataset
from unibench.registry import DATASETS
from unibench.structures import IGNORE_INDEX

# ADE20K-150 in label-file order (index k is pixel value k + 1 in ``annotations/``; the panoptic
# JSON's category id): name and isthing of ADE20K_150_CATEGORIES in facebookresearch/Mask2Former
# @161be51 mask2former/data/datasets/register_ade20k_panoptic.py (MIT). Colours: the same values.
ADE20K_150 = (
    ('wall', 0), ('building', 0), ('sky', 0), ('floor', 0), ('tree', 0), ('ceiling', 0),
    ('road, route', 0), ('bed', 1), ('window ', 1), ('grass', 0), ('cabinet', 1),
    ('sidewalk, pavement', 0), ('person', 1), ('earth, ground', 0), ('door', 1), ('table', 1),
    ('mountain, mount', 0), ('plant', 0), ('curtain', 1), ('chair', 1), ('car', 1), ('water', 0),
    ('painting, picture', 1), ('sofa', 1), ('shelf', 1), ('house', 0), ('sea', 0), ('mirror', 1),
    ('rug', 0), ('field', 0), ('armchair', 1), ('seat', 1), ('fence', 1), ('desk', 1),
    ('rock, stone', 0), ('wardrobe, closet, press', 1), ('lamp', 1), ('tub', 1), ('rail', 1),
    ('cushion', 1), ('base, pedestal, stand', 0), ('box', 1), ('column, pillar', 1),
    ('signboard, sign', 1), ('chest of drawers, chest, bureau, dresser', 1), ('counter', 1),
    ('sand', 0), ('sink', 1), ('skyscraper', 0), ('fireplace', 1), ('refrigerator, icebox', 1),
    ('grandstand, covered stand', 0), ('path', 0), ('stairs', 1), ('runway', 0),
    ('case, display case, showcase, vitrine', 1), ('pool table, billiard table, snooker table', 1),
    ('pillow', 1), ('screen door, screen', 1), ('stairway, staircase', 0), ('river', 0),
    ('bridge, span', 0), ('bookcase', 1), ('blind, screen', 0), ('coffee table', 1),
    ('toilet, can, commode, crapper, pot, potty, stool, throne', 1), ('flower', 1), ('book', 1),
    ('hill', 0), ('bench', 1), ('countertop', 1), ('stove', 1), ('palm, palm tree', 1),
    ('kitchen island', 1), ('computer', 1), ('swivel chair', 1), ('boat', 1), ('bar', 0),
    ('arcade machine', 1), ('hovel, hut, hutch, shack, shanty', 0), ('bus', 1), ('towel', 1),
    ('light', 1), ('truck', 1), ('tower', 0), ('chandelier', 1), ('awning, sunshade, sunblind', 1),
    ('street lamp', 1), ('booth', 1), ('tv', 1), ('plane', 1), ('dirt track', 0), ('clothes', 1),
    ('pole', 1), ('land, ground, soil', 0),
    ('bannister, banister, balustrade, balusters, handrail', 1),
    ('escalator, moving staircase, moving stairway', 0),
    ('ottoman, pouf, pouffe, puff, hassock', 1), ('bottle', 1), ('buffet, counter, sideboard', 0),
    ('poster, posting, placard, notice, bill, card', 0), ('stage', 0), ('van', 1), ('ship', 1),
    ('fountain', 1), ('conveyer belt, conveyor belt, conveyer, conveyor, transporter', 0),
    ('canopy', 0), ('washer, automatic washer, washing machine', 1), ('plaything, toy', 1),
    ('pool', 0), ('stool', 1), ('barrel, cask', 1), ('basket, handbasket', 1), ('falls', 0),
    ('tent', 0), ('bag', 1), ('minibike, motorbike', 1), ('cradle', 0), ('oven', 1), ('ball', 1),
    ('food, solid food', 1), ('step, stair', 1), ('tank, storage tank', 0), ('trade name', 1),
    ('microwave', 1), ('pot', 1), ('animal', 1), ('bicycle', 1), ('lake', 0), ('dishwasher', 1),
    ('screen', 1), ('blanket, cover', 0), ('sculpture', 1), ('hood, exhaust hood', 1),
    ('sconce', 1), ('vase', 1), ('traffic light', 1), ('tray', 1), ('trash can', 1), ('fan', 1),
    ('pier', 0), ('crt screen', 0), ('plate', 1), ('monitor', 1), ('bulletin board', 1),
    ('shower', 0), ('radiator', 1), ('glass, drinking glass', 1), ('clock', 1), ('flag', 1),
)
_ADE20K_COLORS = (
    (120, 120, 120), (180, 120, 120), (6, 230, 230), (80, 50, 50), (4, 200, 3), (120, 120, 80),
    (140, 140, 140), (204, 5, 255), (230, 230, 230), (4, 250, 7), (224, 5, 255), (235, 255, 7),
    (150, 5, 61), (120, 120, 70), (8, 255, 51), (255, 6, 82), (143, 255, 140), (204, 255, 4),
    (255, 51, 7), (204, 70, 3), (0, 102, 200), (61, 230, 250), (255, 6, 51), (11, 102, 255),
    (255, 7, 71), (255, 9, 224), (9, 7, 230), (220, 220, 220), (255, 9, 92), (112, 9, 255),
    (8, 255, 214), (7, 255, 224), (255, 184, 6), (10, 255, 71), (255, 41, 10), (7, 255, 255),
    (224, 255, 8), (102, 8, 255), (255, 61, 6), (255, 194, 7), (255, 122, 8), (0, 255, 20),
    (255, 8, 41), (255, 5, 153), (6, 51, 255), (235, 12, 255), (160, 150, 20), (0, 163, 255),
    (140, 140, 140), (250, 10, 15), (20, 255, 0), (31, 255, 0), (255, 31, 0), (255, 224, 0),
    (153, 255, 0), (0, 0, 255), (255, 71, 0), (0, 235, 255), (0, 173, 255), (31, 0, 255),
    (11, 200, 200), (255, 82, 0), (0, 255, 245), (0, 61, 255), (0, 255, 112), (0, 255, 133),
    (255, 0, 0), (255, 163, 0), (255, 102, 0), (194, 255, 0), (0, 143, 255), (51, 255, 0),
    (0, 82, 255), (0, 255, 41), (0, 255, 173), (10, 0, 255), (173, 255, 0), (0, 255, 153),
    (255, 92, 0), (255, 0, 255), (255, 0, 245), (255, 0, 102), (255, 173, 0), (255, 0, 20),
    (255, 184, 184), (0, 31, 255), (0, 255, 61), (0, 71, 255), (255, 0, 204), (0, 255, 194),
    (0, 255, 82), (0, 10, 255), (0, 112, 255), (51, 0, 255), (0, 194, 255), (0, 122, 255),
    (0, 255, 163), (255, 153, 0), (0, 255, 10), (255, 112, 0), (143, 255, 0), (82, 0, 255),
    (163, 255, 0), (255, 235, 0), (8, 184, 170), (133, 0, 255), (0, 255, 92), (184, 0, 255),
    (255, 0, 31), (0, 184, 255), (0, 214, 255), (255, 0, 112), (92, 255, 0), (0, 224, 255),
    (112, 224, 255), (70, 184, 160), (163, 0, 255), (153, 0, 255), (71, 255, 0), (255, 0, 163),
    (255, 204, 0), (255, 0, 143), (0, 255, 235), (133, 255, 0), (255, 0, 235), (245, 0, 255),
    (255, 0, 122), (255, 245, 0), (10, 190, 212), (214, 255, 0), (0, 204, 255), (20, 0, 255),
    (255, 255, 0), (0, 153, 255), (0, 41, 255), (0, 255, 204), (41, 0, 255), (41, 255, 0),
    (173, 0, 255), (0, 245, 255), (71, 0, 255), (122, 0, 255), (0, 255, 184), (0, 92, 255),
    (184, 255, 0), (0, 133, 255), (255, 214, 0), (25, 194, 194), (102, 255, 0), (92, 0, 255),
)
# COCO panoptic categories in id order (80 things, ids 1-90, then 53 stuff, ids 92-200), as
# panopticapi's panoptic_coco_categories.json names and colours them.
COCO_PANOPTIC = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
    'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
    'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
    'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush', 'banner', 'blanket', 'bridge', 'cardboard',
    'counter', 'curtain', 'door-stuff', 'floor-wood', 'flower', 'fruit', 'gravel', 'house',
    'light', 'mirror-stuff', 'net', 'pillow', 'platform', 'playingfield', 'railroad', 'river',
    'road', 'roof', 'sand', 'sea', 'shelf', 'snow', 'stairs', 'tent', 'towel', 'wall-brick',
    'wall-stone', 'wall-tile', 'wall-wood', 'water-other', 'window-blind', 'window-other',
    'tree-merged', 'fence-merged', 'ceiling-merged', 'sky-other-merged', 'cabinet-merged',
    'table-merged', 'floor-other-merged', 'pavement-merged', 'mountain-merged', 'grass-merged',
    'dirt-merged', 'paper-merged', 'food-other-merged', 'building-other-merged', 'rock-merged',
    'wall-other-merged', 'rug-merged',
)
_COCO_COLORS = (
    (220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230), (106, 0, 228), (0, 60, 100),
    (0, 80, 100), (0, 0, 70), (0, 0, 192), (250, 170, 30), (100, 170, 30), (220, 220, 0),
    (175, 116, 175), (250, 0, 30), (165, 42, 42), (255, 77, 255), (0, 226, 252), (182, 182, 255),
    (0, 82, 0), (120, 166, 157), (110, 76, 0), (174, 57, 255), (199, 100, 0), (72, 0, 118),
    (255, 179, 240), (0, 125, 92), (209, 0, 151), (188, 208, 182), (0, 220, 176), (255, 99, 164),
    (92, 0, 73), (133, 129, 255), (78, 180, 255), (0, 228, 0), (174, 255, 243), (45, 89, 255),
    (134, 134, 103), (145, 148, 174), (255, 208, 186), (197, 226, 255), (171, 134, 1),
    (109, 63, 54), (207, 138, 255), (151, 0, 95), (9, 80, 61), (84, 105, 51), (74, 65, 105),
    (166, 196, 102), (208, 195, 210), (255, 109, 65), (0, 143, 149), (179, 0, 194), (209, 99, 106),
    (5, 121, 0), (227, 255, 205), (147, 186, 208), (153, 69, 1), (3, 95, 161), (163, 255, 0),
    (119, 0, 170), (0, 182, 199), (0, 165, 120), (183, 130, 88), (95, 32, 0), (130, 114, 135),
    (110, 129, 133), (166, 74, 118), (219, 142, 185), (79, 210, 114), (178, 90, 62), (65, 70, 15),
    (127, 167, 115), (59, 105, 106), (142, 108, 45), (196, 172, 0), (95, 54, 80), (128, 76, 255),
    (201, 57, 1), (246, 0, 122), (191, 162, 208), (255, 255, 128), (147, 211, 203),
    (150, 100, 100), (168, 171, 172), (146, 112, 198), (210, 170, 100), (92, 136, 89),
    (218, 88, 184), (241, 129, 0), (217, 17, 255), (124, 74, 181), (70, 70, 70), (255, 228, 255),
    (154, 208, 0), (193, 0, 92), (76, 91, 113), (255, 180, 195), (106, 154, 176), (230, 150, 140),
    (60, 143, 255), (128, 64, 128), (92, 82, 55), (254, 212, 124), (73, 77, 174), (255, 160, 98),
    (255, 255, 255), (104, 84, 109), (169, 164, 131), (225, 199, 255), (137, 54, 74),
    (135, 158, 223), (7, 246, 231), (107, 255, 200), (58, 41, 149), (183, 121, 142), (255, 73, 97),
    (107, 142, 35), (190, 153, 153), (146, 139, 141), (70, 130, 180), (134, 199, 156),
    (209, 226, 140), (96, 36, 108), (96, 96, 96), (64, 170, 64), (152, 251, 152), (208, 229, 228),
    (206, 186, 171), (152, 161, 64), (116, 112, 0), (0, 114, 143), (102, 102, 156),
    (250, 141, 255),
)
# Cityscapes' 19 evaluated classes in train-id order (label ids 7, 8, 11, 12, 13, 17, 19-28, 31-33;
# cityscapesScripts helpers/labels.py): name, hasInstances. Colours: the same file.
CITYSCAPES_19 = (
    ('road', 0), ('sidewalk', 0), ('building', 0), ('wall', 0), ('fence', 0), ('pole', 0),
    ('traffic light', 0), ('traffic sign', 0), ('vegetation', 0), ('terrain', 0), ('sky', 0),
    ('person', 1), ('rider', 1), ('car', 1), ('truck', 1), ('bus', 1), ('train', 1),
    ('motorcycle', 1), ('bicycle', 1),
)
_CITYSCAPES_COLORS = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
    (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
    (0, 80, 100), (0, 0, 230), (119, 11, 32),
)


def _metainfo(names: Sequence[str], isthing: Sequence[int],
              colors: Sequence[Tuple[int, int, int]]) -> dict:
    """``METAINFO`` with the thing classes first, each group in its native order."""
    order = sorted(range(len(names)), key=lambda i: not isthing[i])  # stable sort
    return dict(classes=tuple(names[i] for i in order),
                thing_classes=tuple(names[i] for i in order if isthing[i]),
                stuff_classes=tuple(names[i] for i in order if not isthing[i]),
                palette=[tuple(colors[i]) for i in order])


class _AnnotatedCOCOPanoptic(OrderedCOCOPanoptic):
    """COCO panoptic API whose image records carry their annotation's PNG name (``segm_file``).

    mmdet derives the PNG name from the image name (``.jpg`` -> ``.png``), which fails for
    Cityscapes (``*_leftImg8bit.png`` images, ``*_gtFine_panoptic.png`` annotations).
    """

    def createIndex(self) -> None:  # noqa: N802 (pycocotools' name)
        super().createIndex()
        for ann in self.dataset.get('annotations', []):
            if ann['image_id'] in self.imgs:
                self.imgs[ann['image_id']]['segm_file'] = ann['file_name']


class _AnnotatedPanopticDataset(UniPanopticDataset):
    """Reads each image's panoptic PNG from the ``file_name`` of its annotation."""

    COCOAPI = _AnnotatedCOCOPanoptic

    def parse_data_info(self, raw_data_info: dict) -> dict:
        info = super().parse_data_info(raw_data_info)
        if self.data_prefix.get('seg'):
            info['seg_map_path'] = osp.join(self.data_prefix['seg'],
                                            raw_data_info['raw_img_info']['segm_file'])
        return info


@DATASETS.register_module()
class COCOPanopticDataset(_AnnotatedPanopticDataset):
    """COCO panoptic 2017: 80 things + 53 stuff, names as ``panoptic_coco_categories.json``.

    Named apart from mmdet's ``CocoPanopticDataset``, whose labels follow the JSON order.
    """

    METAINFO = _metainfo(COCO_PANOPTIC, [1] * 80 + [0] * 53, _COCO_COLORS)


@DATASETS.register_module()
class ADE20KPanopticDataset(_AnnotatedPanopticDataset):
    """ADE20K-150 panoptic (100 things + 50 stuff) from detectron2's ``prepare_ade20k_pan_seg.py``.

    Class names and thing flags are detectron2's ``ADE20K_150_CATEGORIES`` (``"window "`` keeps its
    trailing space, as in the JSON the script writes). Shadows mmdet's class of the same name,
    whose names follow mmdet's own converter.
    """

    METAINFO = _metainfo(*zip(*ADE20K_150), _ADE20K_COLORS)


@DATASETS.register_module()
class CityscapesPanopticDataset(_AnnotatedPanopticDataset):
    """Cityscapes fine panoptic (8 things + 11 stuff) from cityscapesScripts ``createPanopticImgs``.

    Works with label ids (the default, as detectron2 evaluates) and with ``--use-train-id``
    (categories are matched by name). The JSON names images without their city folder
    (``aachen_000000_000019_leftImg8bit.png``); the folder is the prefix before the first ``_``.
    """

    METAINFO = _metainfo(*zip(*CITYSCAPES_19), _CITYSCAPES_COLORS)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        info = super().parse_data_info(raw_data_info)
        file_name = raw_data_info['raw_img_info']['file_name']
        info['img_path'] = osp.join(self.data_prefix['img'], file_name.split('_')[0], file_name)
        return info


class _NativeOrderSegDataset(BaseSegDataset):
    """mmseg folder dataset whose label files index ``NATIVE_CLASSES``, relabelled to ``classes``.

    ``label_map`` (applied by mmseg's ``LoadAnnotations``) maps each native index to the index of
    its name in ``metainfo['classes']`` (default ``METAINFO``, things first), or to 255.
    """

    NATIVE_CLASSES: Tuple[str, ...] = ()

    @classmethod
    def get_label_map(cls, new_classes: Optional[Sequence[str]] = None) -> Dict[int, int]:
        """Native label index → index in ``new_classes`` (255 for classes left out)."""
        classes = list(cls.METAINFO['classes'] if new_classes is None else new_classes)
        unknown = [name for name in classes if name not in cls.NATIVE_CLASSES]
        if unknown:
            raise ValueError(f'{cls.__name__}: classes {unknown} are not among the dataset\'s '
                             f'classes {cls.NATIVE_CLASSES}')
        return {i: classes.index(name) if name in classes else IGNORE_INDEX
                for i, name in enumerate(cls.NATIVE_CLASSES)}

    def load_data_list(self) -> List[dict]:
        """mmseg's listing; an empty split or a missing label file raises, naming the folder."""
        data_list = super().load_data_list()
        img_dir = self.data_prefix.get('img_path')
        if not data_list:
            raise ValueError(f'empty split: no *{self.img_suffix} image under {img_dir}')
        missing = [d['seg_map_path'] for d in data_list
                   if d.get('seg_map_path') and not osp.isfile(d['seg_map_path'])]
        if missing:
            raise FileNotFoundError(f'{len(missing)} label file(s) for images under {img_dir} '
                                    f'not found, e.g. {missing[:3]}')
        return data_list


@DATASETS.register_module()
class ADE20KSemanticDataset(_NativeOrderSegDataset):
    """ADE20K-150 semantic (``ADEChallengeData2016``): label 0 ("other") is ignored, k is class k-1.

    Labels follow :class:`ADE20KPanopticDataset` (100 things first), not the file order.
    """

    METAINFO = ADE20KPanopticDataset.METAINFO
    NATIVE_CLASSES = tuple(name for name, _ in ADE20K_150)

    def __init__(self, *, img_suffix: str = '.jpg', seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = True, **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)


@DATASETS.register_module()
class CityscapesSemanticDataset(_NativeOrderSegDataset):
    """Cityscapes 19-class semantic (``gtFine/*_labelTrainIds.png``, 255 = ignore).

    Labels follow :class:`CityscapesPanopticDataset` (8 things first), not the train-id order.
    """

    METAINFO = CityscapesPanopticDataset.METAINFO
    NATIVE_CLASSES = tuple(name for name, _ in CITYSCAPES_19)

    def __init__(self, *, img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
