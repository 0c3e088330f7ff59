"""hashlib_core: the tested core of the Hashing Book.

Modules, in the order the book introduces them:

* ``codes``: binarise layer outputs (one threshold convention: strictly above), pack/unpack bits;
* ``search``: Hamming distances, ranking (ties by database index), lookup
  within a radius, coarse-to-fine search, ``HammingIndex`` (numba or faiss);
* ``metrics``: mAP (index-order, random or expected ties), P@k, R@k,
  precision within a radius, PR over radius -- formulas in the docstrings;
* ``cache``, ``data`` and ``protocols``: datasets as uint8 tensors, named seeded splits;
* ``settings``: typed, validated recipes and run settings;
* ``objectives`` and ``train``: what a network minimises, and the one training loop;
* ``nets`` (one file per paper) and ``losses``;
* ``experiment``: a paper's method (``DeepHashingMethod``) and the generic run of it on a protocol;
* ``methods``: the papers' methods; ``studies``: each paper's own studies;
* ``gist``, ``features``, ``baselines``: hand-made features and the classic hashing methods;
* ``evaluation``, ``report``, ``results``, ``published``, ``plots``, ``speed``: what chapters report.
"""

__version__ = "0.1.0"
