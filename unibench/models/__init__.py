"""Importing this package registers every unibench model part."""
import importlib

# Each subpackage's __init__ imports its modules; helpers' modules register on import.
for _sub in ('backbones', 'pixel_decoders', 'decoders', 'heads', 'roi_heads', 'losses',
             'postprocess', 'segmentors'):
    importlib.import_module(f'{__name__}.{_sub}')
