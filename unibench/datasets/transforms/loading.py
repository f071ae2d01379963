"""Image and panoptic annotation loading that names the file when the input is bad.

With the configured ``color_type='color'``, mmcv's decoders turn every image a real dataset holds
(grayscale, palette, RGBA, 16-bit, CMYK JPEG: COCO has grayscale and CMYK JPEGs) into 3-channel
8-bit BGR, EXIF orientation applied, which is what the models' normalisation takes: cv2 (the
default) drops alpha and scales 16-bit values to 8 bits, pillow converts through RGB. The one
exception, pillow on a 16-bit grayscale image (it clips to 255 instead of scaling), and any
decoding that does not give 3-channel 8-bit (``color_type='unchanged'`` or ``'grayscale'``) are
errors that name the file, before a 4-channel or 65535-valued array reaches the model.
"""
import io
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmdet.datasets.transforms import LoadPanopticAnnotations as MMDetLoadPanopticAnnotations
from mmengine import fileio
from mmengine.logging import print_log
from PIL import Image

from unibench.registry import TRANSFORMS

# Pillow modes of 16- and 32-bit grayscale images, which its RGB conversion clips to 255.
_DEEP_GRAY_MODES = ('I', 'F', 'I;16', 'I;16B', 'I;16L', 'I;16N')


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's image loader whose output is checked: 3-channel 8-bit, or an error naming the file.

    Arguments and outputs are mmcv's (``img`` BGR unless ``imdecode_backend`` orders otherwise,
    float32 with ``to_float32``; ``img_shape`` = ``ori_shape`` = the decoded size).
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if self.imdecode_backend == 'pillow' and self.color_type.startswith('color'):
            self._check_pillow_depth(path)
        # The dtype check needs the decoded array before mmcv's float conversion.
        to_float32, self.to_float32 = self.to_float32, False
        try:
            results = super().transform(results)
        except FileNotFoundError:
            raise
        except (AssertionError, OSError, cv2.error) as err:  # mmcv asserts on an undecodable file
            raise ValueError(f'corrupt or unreadable image: {path} ({err})') from err
        finally:
            self.to_float32 = to_float32
        if results is None:  # ignore_empty
            return None
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(
                f'{path} decodes to a {img.dtype} array of shape {img.shape} with '
                f'color_type={self.color_type!r}; the models take 3-channel 8-bit images: load '
                "with color_type='color' (the default), which converts grayscale, RGBA, 16-bit "
                'and CMYK images')
        if to_float32:
            results['img'] = img.astype(np.float32)
        return results

    def _check_pillow_depth(self, path: str) -> None:
        """Refuses the 16-bit grayscale images that mmcv's pillow decoding clips (reads the
        header only; cv2, the default decoder, needs no check)."""
        data = fileio.get(path, backend_args=self.backend_args)
        try:
            with Image.open(io.BytesIO(data)) as im:
                mode = im.mode
        except OSError:
            return  # undecodable: the decoder's own error names the file
        if mode in _DEEP_GRAY_MODES:
            raise ValueError(
                f'{path} is a {mode} (16/32-bit grayscale) image, which mmcv\'s pillow decoder '
                "clips to 255: decode it with imdecode_backend='cv2' (the default), which scales "
                '16-bit values to 8 bits')


@TRANSFORMS.register_module()
class LoadPanopticAnnotations(MMDetLoadPanopticAnnotations):
    """mmdet's loader plus checks of the PNG against its image and its JSON annotation.

    Missing or corrupt PNG, a PNG of another size than the image, segment ids absent from the
    PNG, and a segment with more pixels in the PNG than its JSON ``area`` are errors that name
    the file. Fewer pixels than ``area`` is logged once per process and the PNG's pixels are
    used (as panopticapi's PQ does): ADE20K's ``prepare_ade20k_pan_seg.py`` counts a stuff
    segment's area before it pastes the things over it, so its JSON areas exceed the PNG's.

    Adds nothing to the outputs: ``gt_masks`` (non-crowd things), ``gt_seg_map`` (contiguous
    labels, crowd regions included, 255 = void) are mmdet's.
    """

    _smaller_area_logged = False  # per process: the ADE20K disagreement is in many images

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
            image_shape = results.get('ori_shape')
            if image_shape is not None and tuple(png.shape[:2]) != tuple(image_shape):
                # mmdet would build masks of the image's size from it and fail much later.
                raise ValueError(
                    f'panoptic PNG {path} is {png.shape[0]}x{png.shape[1]} (h x w) but its image '
                    f'{results.get("img_path")} decodes to {image_shape[0]}x{image_shape[1]}: '
                    'the annotation must match the image pixel for pixel (a resized copy of '
                    'one of them, or an EXIF orientation tag, which the decoders apply)')
            decoded['ids'] = to_id(png)
            return decoded['ids']

        self.rgb2id = rgb2id  # see the ids mmdet decodes instead of decoding the PNG twice
        try:
            super()._load_masks_and_semantic_segs(results)
        except (AttributeError, cv2.error) as err:  # the PNG did not decode
            raise ValueError(f'corrupt panoptic PNG: {path}') from err
        finally:
            self.rgb2id = to_id
        self._check_segments(path, results, decoded['ids'])

    def _check_segments(self, path: str, results: dict, ids: np.ndarray) -> None:
        """The JSON's segments against the decoded PNG (one ``np.unique``: the PNG is decoded
        already, so the check costs a sort of its pixels)."""
        values, counts = np.unique(ids, return_counts=True)
        pixels = dict(zip(values.tolist(), counts.tolist()))
        listed = {s['id'] for s in results['segments_info']}
        absent = sorted(listed - set(pixels))
        if absent:
            raise ValueError(f'{path}: segment ids {absent} of the annotation are absent '
                             'from the PNG')
        for seg in results['segments_info']:
            area, found = seg.get('area'), pixels[seg['id']]
            if area is None or found == area:
                continue
            if found > area:
                raise ValueError(
                    f'{path}: segment {seg["id"]} of image {results.get("img_path")} has '
                    f'{found} pixels in the PNG but its JSON area is {area}: the PNG and the '
                    'annotation file disagree (a PNG of another image, or a JSON written from '
                    'other masks); regenerate the annotation')
            if not LoadPanopticAnnotations._smaller_area_logged:
                LoadPanopticAnnotations._smaller_area_logged = True
                print_log(
                    f'{path}: segment {seg["id"]} of image {results.get("img_path")} has {found} '
                    f'pixels in the PNG, its JSON area is {area}; the PNG is used. Converters '
                    'that count a segment before pasting others over it write such areas '
                    "(ADE20K's prepare_ade20k_pan_seg.py); further ones are not logged",
                    logger='current', level=30)
