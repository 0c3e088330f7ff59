"""hashlib_core: the tested core of the Hashing Book.

Modules, in the order the book introduces them:

* ``codes``: binarise layer outputs, pack/unpack bits, {0,1} <-> {-1,+1};
* ``search``: Hamming distances, ranking (ties by database index), lookup
  within a radius, coarse-to-fine search, ``HammingIndex`` (numba or faiss);
* ``metrics``: mAP (index-order, random or expected ties), P@k, R@k,
  precision within a radius, PR over radius -- formulas in the docstrings;
* ``data`` and ``protocols``: datasets as uint8 tensors, named seeded splits;
* ``train``: the one training loop and ``encode``; ``nets``, ``losses``;
* ``cnnbh``: the CNN Based Hashing experiment (profiles, training per code length);
* ``baselines`` and ``features``: GIST and the classic hashing methods;
* ``evaluation``, ``results``, ``published``, ``plots``: what chapters report.
"""

__version__ = "0.1.0"
