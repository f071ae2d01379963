"""PANet's RoI parts (box head, mask head, adaptive-pooling RoI extractor) on mmdet's RoI heads.

Imports every module of this folder so that their classes are registered."""
import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f'{__name__}.{_mod.name}')
