"""mmdet's Swin Transformer, whose ``Pretrained`` weights must cover it.

mmdet's ``SwinTransformer.init_weights`` loads its ``Pretrained`` checkpoint itself (it converts
the official names, interpolates the relative-position tables) and then calls
``load_state_dict(state, strict=False)``: a checkpoint of another backbone, or one whose keys lack
the ``backbone.`` prefix mmdet expects, loads nothing and training starts from scratch with one
log line. This subclass keeps every step of mmdet's loading and only makes the final load refuse a
checkpoint that does not cover the backbone, as :class:`~unibench.engine.pretrained.
CoveringPretrainedInit` does for every other backbone.
"""
import re
from typing import Any, Mapping

from mmdet.models.backbones import SwinTransformer as _MMDetSwinTransformer
from mmengine.config import ConfigDict
from mmengine.logging import print_log

from unibench.registry import MODELS
from unibench.utils.state_dict import check_covers

# What a covering checkpoint may lack (see the class notes).
_MAY_BE_MISSING = re.compile(r'norm\d+\.(weight|bias)|.*\.relative_position_index')


@MODELS.register_module()
class SwinTransformer(_MMDetSwinTransformer):
    """``mmdet.SwinTransformer`` (same arguments, same weights, same forward) with a strict
    ``Pretrained`` load: missing weights and shape mismatches are an error that lists them;
    weights the backbone has no use for (the classifier head of an ImageNet checkpoint) are
    allowed, as mmdet allows them.

    Two kinds of tensor may be missing: the per-level output norms ``norm0`` .. ``norm3``, which
    a classification checkpoint does not have (they keep their initialisation, 1 and 0, as in
    the official Mask2Former / OneFormer ``D2SwinTransformer``; a segmentation checkpoint has
    them and they load), and the ``relative_position_index`` buffers the model computes itself.
    """

    def init_weights(self) -> None:
        init_cfg = self.init_cfg or {}
        if init_cfg.get('type') != 'Pretrained':
            super().init_weights()
            return
        self.init_cfg = ConfigDict(init_cfg)  # mmdet reads it by attribute
        source = str(init_cfg.get('checkpoint'))
        load = self.load_state_dict

        def load_covering(state_dict: Mapping[str, Any], strict: bool = True) -> Any:
            # mmdet passes strict=False; the check below is what strict=True would refuse,
            # less the unexpected keys, with the names of what is missing.
            full = self.state_dict()
            own = {k: v for k, v in full.items()
                   if k in state_dict or not _MAY_BE_MISSING.fullmatch(k)}
            check_covers(own, state_dict, source=source,
                         target=f'{type(self).__name__}(embed_dims={self.num_features[0]})',
                         allow_unexpected=True)
            kept = sorted({k.rsplit('.', 1)[0] for k in full
                           if k not in own and k.startswith('norm')})
            print_log(f'SwinTransformer: loaded {len(own)} tensors from {source}'
                      + (f'; {kept} not in it keep their initialisation' if kept else ''),
                      logger='current')
            return load(state_dict, strict=False)

        self.load_state_dict = load_covering
        try:
            super().init_weights()
        except IndexError as exc:  # mmdet indexes the first 'backbone.*' key, and there is none
            raise ValueError(
                f'{source} holds no backbone.* weights for SwinTransformer (official Swin '
                f'release weights need convert_weights=True; converted ones a backbone. '
                f'prefix)') from exc
        finally:
            del self.load_state_dict  # the class's method again
