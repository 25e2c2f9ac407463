"""A test-only funnelsync plugin that kills its own process at a chosen operation.

Used by ``tests/sync/engine/test_crash_safety.py`` only: the test installs it into a throwaway
directory (a ``*.dist-info`` with a ``funnelsync.plugins`` entry point next to this
package) and puts that directory on a ``funnelsync sync`` subprocess's ``PYTHONPATH``.
Nothing in the product knows about it.
"""
