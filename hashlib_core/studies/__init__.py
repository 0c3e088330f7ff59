"""Paper-specific studies, one module per chapter, next to the method they examine.

Introduced in the CNN Based Hashing chapter. Each study takes a finished
:class:`~hashlib_core.experiment.MethodRun` and returns rows (lists of dicts)
for the chapter's tables, figures and results file.
"""
