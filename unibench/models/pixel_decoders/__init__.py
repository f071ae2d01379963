"""Pixel decoders: unibench's own (the painter's); the query models use mmdet's
``MSDeformAttnPixelDecoder``. Imports every module of this folder so that it is registered."""
import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f'{__name__}.{_mod.name}')
