"""unibench registries: children of mmdet's, so configs with ``default_scope='unibench'`` find
every unibench module by name and fall back to mmdet, then mmengine. mmseg modules stay reachable
with their scope prefix (``type='mmseg.IoUMetric'``): mmengine searches the root's children.
"""
from mmdet import registry as mmdet_registry
from mmengine.registry import Registry

MODELS = Registry('model', parent=mmdet_registry.MODELS, scope='unibench',
                  locations=['unibench.models'])
TASK_UTILS = Registry('task util', parent=mmdet_registry.TASK_UTILS, scope='unibench',
                      locations=['unibench.models'])
DATASETS = Registry('dataset', parent=mmdet_registry.DATASETS, scope='unibench',
                    locations=['unibench.datasets'])
TRANSFORMS = Registry('transform', parent=mmdet_registry.TRANSFORMS, scope='unibench',
                      locations=['unibench.datasets.transforms'])
METRICS = Registry('metric', parent=mmdet_registry.METRICS, scope='unibench',
                   locations=['unibench.evaluation'])
EVALUATOR = Registry('evaluator', parent=mmdet_registry.EVALUATOR, scope='unibench',
                     locations=['unibench.evaluation'])
HOOKS = Registry('hook', parent=mmdet_registry.HOOKS, scope='unibench',
                 locations=['unibench.engine'])
LOOPS = Registry('loop', parent=mmdet_registry.LOOPS, scope='unibench',
                 locations=['unibench.engine'])
DATA_SAMPLERS = Registry('data sampler', parent=mmdet_registry.DATA_SAMPLERS,
                         scope='unibench', locations=['unibench.datasets'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=mmdet_registry.OPTIM_WRAPPER_CONSTRUCTORS,
    scope='unibench', locations=['unibench.engine'])
# The rest resolve through the parent chain (scope lookup falls back to mmdet's nodes).
RUNNERS = Registry('runner', parent=mmdet_registry.RUNNERS, scope='unibench')
LOG_PROCESSORS = Registry('log_processor', parent=mmdet_registry.LOG_PROCESSORS,
                          scope='unibench')
VISUALIZERS = Registry('visualizer', parent=mmdet_registry.VISUALIZERS, scope='unibench')
VISBACKENDS = Registry('vis_backend', parent=mmdet_registry.VISBACKENDS, scope='unibench')
OPTIMIZERS = Registry('optimizer', parent=mmdet_registry.OPTIMIZERS, scope='unibench')
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=mmdet_registry.OPTIM_WRAPPERS,
                          scope='unibench')
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=mmdet_registry.PARAM_SCHEDULERS,
                            scope='unibench')
MODEL_WRAPPERS = Registry('model_wrapper', parent=mmdet_registry.MODEL_WRAPPERS,
                          scope='unibench')
WEIGHT_INITIALIZERS = Registry('weight initializer',
                               parent=mmdet_registry.WEIGHT_INITIALIZERS, scope='unibench')
