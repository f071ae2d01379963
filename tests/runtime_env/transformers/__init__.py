"""Stands in for transformers in the tool subprocesses the tests start (tests/conftest.py).

transformers is a test-only dependency (requirements/tests.txt): the tools must run without it, as
in a runtime install, and they start about 2.5 s faster without it (mmengine's optimizer registry
and mmdet's text transforms import it at start-up when it is installed, and catch this error).
"""
raise ImportError('transformers is a test-only dependency; tools started by the tests run without '
                  'it (tests/runtime_env)')
