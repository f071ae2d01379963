"""Panoptic annotation loading that names the file when the annotation is bad."""
import os.path as osp

import cv2
import numpy as np
from mmdet.datasets.transforms import LoadPanopticAnnotations as MMDetLoadPanopticAnnotations

from unibench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPanopticAnnotations(MMDetLoadPanopticAnnotations):
    """mmdet's loader plus checks: missing or corrupt PNG, segment ids absent from the PNG.

    Adds nothing to the outputs: ``gt_masks`` (non-crowd things), ``gt_seg_map`` (contiguous
    labels, crowd regions included, 255 = void) are mmdet's.
    """

    def _load_masks_and_semantic_segs(self, results: dict) -> None:
        path = results.get('seg_map_path')
        if path is None:
            return
        if not osp.isfile(path):
            raise FileNotFoundError(f'panoptic PNG not found: {path}')
        decoded = {}
        to_id = self.rgb2id

        def rgb2id(png: np.ndarray) -> np.ndarray:
            if png.ndim != 3 or png.shape[-1] != 3:
                raise ValueError(f'panoptic PNG {path} is not an RGB image (shape {png.shape})')
            decoded['ids'] = to_id(png)
            return decoded['ids']

        self.rgb2id = rgb2id  # see the ids mmdet decodes instead of decoding the PNG twice
        try:
            super()._load_masks_and_semantic_segs(results)
        except (AttributeError, cv2.error) as err:  # the PNG did not decode
            raise ValueError(f'corrupt panoptic PNG: {path}') from err
        finally:
            self.rgb2id = to_id
        listed = {s['id'] for s in results['segments_info']}
        absent = sorted(listed - set(np.unique(decoded['ids']).tolist()))
        if absent:
            raise ValueError(f'{path}: segment ids {absent} of the annotation are absent '
                             'from the PNG')
