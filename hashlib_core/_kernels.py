"""Compiled (numba) loops behind :mod:`hashlib_core.search` and :mod:`hashlib_core.metrics`.

Private: inputs are trusted (validated by the public functions). Every kernel
works on packed ``uint64`` code words and computes Hamming distances on the fly
with the CPU's popcount instruction, one query per parallel iteration, so no
(queries x database) matrix is ever allocated.

Labels are packed the same way as codes: bit ``c`` of a label mask is set when
the item carries class ``c``. Two items are relevant to each other when their
masks share a bit, which covers single-label and multi-label data alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic


@intrinsic
def _popcount64(typingctx, value):
    """LLVM's ``ctpop``: a single ``popcnt`` instruction on x86-64 and arm64."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, sig, args):
        return builder.ctpop(args[0])

    return signature, codegen


@njit(inline="always")
def _hamming(query_words, database_words, row):
    distance = 0
    for w in range(query_words.shape[0]):
        distance += _popcount64(query_words[w] ^ database_words[row, w])
    return distance


@njit(inline="always")
def _shares_label(query_labels, database_labels, row):
    for w in range(query_labels.shape[0]):
        if query_labels[w] & database_labels[row, w]:
            return True
    return False


@njit(parallel=True, cache=True)
def distance_matrix(queries, database, out):
    """out[i, j] = Hamming distance between query i and database item j."""
    for i in prange(queries.shape[0]):
        query = queries[i]
        for j in range(database.shape[0]):
            out[i, j] = _hamming(query, database, j)


_BLOCK = 128  # database items per block (measured best among 64-512 for 1M x 64 bits)


@njit(cache=True)
def _block_distances(query, database, start, stop, cut, out):
    """out[t] = distance to database[start + t]; returns how many are <= cut.

    Word by word, with the count fused into the last word's loop, so each loop
    is branch-free and vectorises.
    """
    block = database[start:stop]
    last = query.shape[0] - 1
    for w in range(last):
        word = query[w]
        if w == 0:
            for t in range(stop - start):
                out[t] = np.uint32(_popcount64(word ^ block[t, w]))
        else:
            for t in range(stop - start):
                out[t] += np.uint32(_popcount64(word ^ block[t, w]))
    word = query[last]
    hits = np.uint32(0)
    if last == 0:
        for t in range(stop - start):
            distance = np.uint32(_popcount64(word ^ block[t, last]))
            out[t] = distance
            hits += np.uint32(1) if distance <= cut else np.uint32(0)
    else:
        for t in range(stop - start):
            distance = out[t] + np.uint32(_popcount64(word ^ block[t, last]))
            out[t] = distance
            hits += np.uint32(1) if distance <= cut else np.uint32(0)
    return hits


@njit(cache=True)
def _block_count(word, database, start, stop, cut):
    """How many one-word codes of ``database[start:stop]`` lie within ``cut`` of ``word``.

    Count only, nothing stored: on CPUs without a vector popcount (AVX2) this
    loop runs at about twice the speed of :func:`_block_distances`, whose
    64-to-32-bit narrowing store costs shuffles, so most blocks (those holding
    no candidate) are dismissed at the count's speed. Indexing a slice from 0
    lets numba drop its negative-index check, which otherwise stops LLVM from
    vectorising the loop (3.5x slower).
    """
    block = database[start:stop]
    hits = np.uint64(0)
    for t in range(stop - start):
        hits += np.uint64(1) if _popcount64(word ^ block[t, 0]) <= cut else np.uint64(0)
    return hits


_SAMPLE_STRIDE = 64  # sample one block in 64 to bound the k-th distance (16-256 measured; 64 on a 1 M scan)


@njit(cache=True)
def _sampled_cut(query, database, n_bits, k, buffer):
    """An upper bound on the k-th smallest distance: the k-th smallest over every 64th block.

    Any k real items within distance c prove the k-th distance is <= c, so
    starting the main pass with this cut is exact and skips most of its scans.
    """
    n = database.shape[0]
    if n < _SAMPLE_STRIDE * k:
        return n_bits
    histogram = np.zeros(n_bits + 1, dtype=np.int64)
    for start in range(0, n, _SAMPLE_STRIDE * _BLOCK):
        stop = min(start + _BLOCK, n)
        _block_distances(query, database, start, stop, np.uint32(0), buffer)
        for t in range(stop - start):
            histogram[buffer[t]] += 1
    seen = 0
    for distance in range(n_bits + 1):
        seen += histogram[distance]
        if seen >= k:
            return distance
    return n_bits


_QUERY_BLOCK = 16  # queries sharing one pass over the database (benchmarks/bench_scan_blocking.py: 3.8 -> 5.2 G cmp/s)
_TILE_BYTES = 32_768  # database bytes per tile: the tile stays in L1 while every query of the block scans it


@njit(cache=True)
def _top_k_query_block(queries, first, last, database, n_bits, k, out_index, out_distance):
    """Top k of queries ``first:last`` in one pass over the database, a tile at a time.

    Each query keeps candidates with distance <= a shrinking cut. Candidates are
    appended in database-index order and a query's cut only drops when at least k
    strictly closer candidates exist, so after a final counting sort by distance
    (stable) the first k are the top k with ties in index order. Once k
    candidates lie within the cut, a later item at the cut itself would rank
    after them, so only strictly closer items are taken: on codes where whole
    classes share a code, a query stops scanning once it holds k exact matches. Distances are
    computed a block of 128 items at a time and a block is only scanned (branchy
    code) when a branch-free count says it holds a candidate; for one-word codes
    that count runs first on its own (:func:`_block_count`), so blocks without a
    candidate never have their distances stored. The queries of a
    block take turns on each database tile, so the tile is read from memory once
    per query block instead of once per query.
    """
    n = database.shape[0]
    n_queries = last - first
    one_word = database.shape[1] == 1  # codes of up to 64 bits: a count-only pass first
    tile = max(_BLOCK, (_TILE_BYTES // (8 * database.shape[1])) // _BLOCK * _BLOCK)
    capacity = max(4 * k, 1024)
    candidate_index = np.empty((n_queries, capacity), dtype=np.int64)
    candidate_distance = np.empty((n_queries, capacity), dtype=np.int64)
    histograms = np.zeros((n_queries, n_bits + 1), dtype=np.int64)
    stored = np.zeros(n_queries, dtype=np.int64)
    within_cut = np.zeros(n_queries, dtype=np.int64)  # candidates with distance <= cut
    cuts = np.empty(n_queries, dtype=np.int64)
    block_distance = np.empty(_BLOCK, dtype=np.uint32)
    hit_positions = np.empty(_BLOCK, dtype=np.int64)
    for q in range(n_queries):
        cuts[q] = _sampled_cut(queries[first + q], database, n_bits, k, block_distance)
    for tile_start in range(0, n, tile):
        tile_stop = min(tile_start + tile, n)
        for q in range(n_queries):
            query = queries[first + q]
            cut = cuts[q]
            histogram = histograms[q]
            # k candidates within the cut already: a later item at the cut ranks after them (index order)
            limit = cut if within_cut[q] < k else cut - 1
            for start in range(tile_start, tile_stop, _BLOCK):
                if limit < 0:  # k items at distance 0: nothing later can enter
                    break
                stop = min(start + _BLOCK, tile_stop)
                if one_word and _block_count(query[0], database, start, stop, np.uint64(limit)) == 0:
                    continue
                if _block_distances(query, database, start, stop, np.uint32(limit), block_distance) == 0:
                    continue
                block_limit = np.uint32(limit)
                n_hits = 0
                for t in range(stop - start):  # branch-free compaction of the hit positions
                    hit_positions[n_hits] = t
                    n_hits += 1 if block_distance[t] <= block_limit else 0
                for h in range(n_hits):
                    t = hit_positions[h]
                    distance = np.int64(block_distance[t])
                    if distance > limit:
                        continue
                    if stored[q] == capacity:  # drop candidates the cut has passed by
                        kept = 0
                        for c in range(stored[q]):
                            if candidate_distance[q, c] <= cut:
                                candidate_index[q, kept] = candidate_index[q, c]
                                candidate_distance[q, kept] = candidate_distance[q, c]
                                kept += 1
                        stored[q] = kept
                        if kept == capacity:  # every kept candidate is needed: grow every query's buffer
                            capacity *= 2
                            grown_index = np.empty((n_queries, capacity), dtype=np.int64)
                            grown_distance = np.empty((n_queries, capacity), dtype=np.int64)
                            grown_index[:, :kept] = candidate_index
                            grown_distance[:, :kept] = candidate_distance
                            candidate_index = grown_index
                            candidate_distance = grown_distance
                    candidate_index[q, stored[q]] = start + t
                    candidate_distance[q, stored[q]] = distance
                    stored[q] += 1
                    histogram[distance] += 1
                    within_cut[q] += 1
                    while cut > 0 and within_cut[q] - histogram[cut] >= k:
                        within_cut[q] -= histogram[cut]
                        histogram[cut] = 0
                        cut -= 1
                    limit = cut if within_cut[q] < k else cut - 1
            cuts[q] = cut
    counts = np.empty(n_bits + 2, dtype=np.int64)
    for q in range(n_queries):  # stable counting sort of each query's surviving candidates by distance
        cut = cuts[q]
        counts[:] = 0
        for c in range(stored[q]):
            if candidate_distance[q, c] <= cut:
                counts[candidate_distance[q, c] + 1] += 1
        for d in range(1, n_bits + 2):
            counts[d] += counts[d - 1]
        for c in range(stored[q]):
            distance = candidate_distance[q, c]
            if distance <= cut:
                position = counts[distance]
                counts[distance] += 1
                if position < k:
                    out_index[first + q, position] = candidate_index[q, c]
                    out_distance[first + q, position] = distance


@njit(parallel=True, cache=True)
def top_k(queries, database, n_bits, k, out_index, out_distance):
    """Top-k Hamming neighbours per query, ties in database-index order; blocks of queries in parallel."""
    n_blocks = (queries.shape[0] + _QUERY_BLOCK - 1) // _QUERY_BLOCK
    for b in prange(n_blocks):
        first = b * _QUERY_BLOCK
        _top_k_query_block(queries, first, min(first + _QUERY_BLOCK, queries.shape[0]), database, n_bits, k,
                           out_index, out_distance)


@njit(parallel=True, cache=True)
def full_rank(queries, database, n_bits, out_index, out_distance):
    """Whole-database ranking per query by a stable counting sort on distance."""
    n = database.shape[0]
    for i in prange(queries.shape[0]):
        query = queries[i]
        distances = np.empty(n, dtype=np.int64)
        offsets = np.zeros(n_bits + 2, dtype=np.int64)
        for j in range(n):
            distance = _hamming(query, database, j)
            distances[j] = distance
            offsets[distance + 1] += 1
        for d in range(1, n_bits + 2):
            offsets[d] += offsets[d - 1]
        for j in range(n):
            position = offsets[distances[j]]
            offsets[distances[j]] += 1
            out_index[i, position] = j
            out_distance[i, position] = distances[j]


@njit(parallel=True, cache=True)
def within_radius_counts(queries, database, radius, out_counts):
    """out_counts[i] = number of database items within Hamming distance <= radius of query i."""
    for i in prange(queries.shape[0]):
        query = queries[i]
        count = 0
        for j in range(database.shape[0]):
            if _hamming(query, database, j) <= radius:
                count += 1
        out_counts[i] = count


@njit(parallel=True, cache=True)
def within_radius_fill(queries, database, radius, offsets, out_index, out_distance):
    """Write the items within ``radius`` of query i into out[offsets[i]:offsets[i+1]], index order."""
    for i in prange(queries.shape[0]):
        query = queries[i]
        position = offsets[i]
        for j in range(database.shape[0]):
            distance = _hamming(query, database, j)
            if distance <= radius:
                out_index[position] = j
                out_distance[position] = distance
                position += 1


@njit(parallel=True, cache=True)
def distance_histograms(queries, database, query_labels, database_labels, n_bits, out_total, out_relevant):
    """Per query, how many database items (and relevant items) lie at each distance 0..n_bits."""
    for i in prange(queries.shape[0]):
        query = queries[i]
        labels = query_labels[i]
        for j in range(database.shape[0]):
            distance = _hamming(query, database, j)
            out_total[i, distance] += 1
            if _shares_label(labels, database_labels, j):
                out_relevant[i, distance] += 1


@njit(parallel=True, cache=True)
def index_order_metrics(queries, database, query_labels, database_labels, n_bits,
                        map_depth, max_hits_depth, out_ap, out_hits, out_n_relevant):
    """AP@map_depth and cumulative hits@1..max_hits_depth of the index-order Hamming ranking.

    Item j at distance d has rank ``#(distance < d) + #(distance == d, index < j) + 1``;
    one pass counts distances, a second pass assigns ranks in index order, so
    no sort is needed. ``out_hits[i, r-1]`` = relevant items at ranks <= r;
    ``out_n_relevant[i]`` = relevant items in the whole database.
    """
    n = database.shape[0]
    for i in prange(queries.shape[0]):
        query = queries[i]
        labels = query_labels[i]
        distances = np.empty(n, dtype=np.int64)
        relevant = np.empty(n, dtype=np.bool_)
        offsets = np.zeros(n_bits + 2, dtype=np.int64)
        relevant_offsets = np.zeros(n_bits + 2, dtype=np.int64)
        for j in range(n):
            distance = _hamming(query, database, j)
            distances[j] = distance
            is_relevant = _shares_label(labels, database_labels, j)
            relevant[j] = is_relevant
            offsets[distance + 1] += 1
            if is_relevant:
                relevant_offsets[distance + 1] += 1
        for d in range(1, n_bits + 2):
            offsets[d] += offsets[d - 1]
            relevant_offsets[d] += relevant_offsets[d - 1]
        out_n_relevant[i] = relevant_offsets[n_bits + 1]
        precision_sum = 0.0
        retrieved_relevant = 0
        hits = out_hits[i]
        for j in range(n):
            if not relevant[j]:
                offsets[distances[j]] += 1
                continue
            rank = offsets[distances[j]] + 1
            relevant_rank = relevant_offsets[distances[j]] + 1
            offsets[distances[j]] += 1
            relevant_offsets[distances[j]] += 1
            if rank <= map_depth:
                precision_sum += relevant_rank / rank
                retrieved_relevant += 1
            if rank <= max_hits_depth:
                hits[rank - 1] += 1
        for r in range(1, max_hits_depth):
            hits[r] += hits[r - 1]
        out_ap[i] = precision_sum / retrieved_relevant if retrieved_relevant > 0 else 0.0


@njit(cache=True)
def tie_aware_average_precision(total, relevant, depth, harmonic, out_ap):
    """Expected AP@depth over uniformly random orders of equal-distance items.

    McSherry & Najork (ECIR 2008). For a tied group of n_b items with r_b
    relevant, preceded by N items of which R are relevant, position N+i
    (i = 1..n_b) holds a relevant item with probability r_b/n_b and, given that,
    R + 1 + (i-1)(r_b-1)/(n_b-1) relevant items up to it in expectation. The sums
    over i reduce to harmonic numbers H. The normaliser is the expected number
    of relevant items in the top ``depth`` (exact when depth covers the database).
    """
    for i in range(total.shape[0]):
        before = 0
        relevant_before = 0
        precision_sum = 0.0
        expected_retrieved = 0.0
        for d in range(total.shape[1]):
            group = total[i, d]
            if group == 0:
                continue
            if before >= depth:
                break
            group_relevant = relevant[i, d]
            positions = min(group, depth - before)
            if group_relevant > 0:
                inverse_sum = harmonic[before + positions] - harmonic[before]
                if group > 1:
                    shifted_sum = positions - (before + 1) * inverse_sum  # sum (i-1)/(N+i)
                    expected = (relevant_before + 1) * inverse_sum + \
                        (group_relevant - 1) / (group - 1) * shifted_sum
                else:
                    expected = (relevant_before + 1) * inverse_sum
                precision_sum += group_relevant / group * expected
                expected_retrieved += positions * group_relevant / group
            before += group
            relevant_before += group_relevant
        out_ap[i] = precision_sum / expected_retrieved if expected_retrieved > 0 else 0.0
