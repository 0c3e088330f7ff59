import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from hashlib_core.codes import PackedCodes, as_packed, binarize, from_signed, pack, to_signed, unpack


def test_binarize_uses_strictly_greater_than_threshold():
    outputs = np.array([[-0.2, 0.0, 0.3], [0.5, 0.51, 0.49]])
    assert binarize(outputs).tolist() == [[0, 0, 1], [1, 1, 1]]
    assert binarize(outputs, threshold=0.5).tolist() == [[0, 0, 0], [0, 1, 0]]


def test_binarize_accepts_torch_tensors():
    assert binarize(torch.tensor([[1.0, -1.0]])).tolist() == [[1, 0]]


def test_binarize_rejects_nan_and_wrong_shapes():
    with pytest.raises(ValueError, match="NaN"):
        binarize(np.array([[0.1, np.nan]]))
    with pytest.raises(ValueError, match="2-D"):
        binarize(np.zeros(5))


@given(st.integers(1, 200).flatmap(lambda bits: arrays(np.uint8, (7, bits), elements=st.integers(0, 1))))
def test_pack_unpack_round_trip_for_any_code_length(bits):
    packed = pack(bits)
    assert packed.n_bits == bits.shape[1]
    assert packed.words.shape == (7, (bits.shape[1] + 63) // 64)
    np.testing.assert_array_equal(unpack(packed), bits)


def test_padding_bits_are_zero():
    packed = pack(np.ones((3, 12), dtype=np.uint8))
    assert packed.words.tolist() == [[0xFFF]] * 3


def test_to_bytes_matches_faiss_layout_and_rejects_odd_lengths():
    bits = np.zeros((1, 16), dtype=np.uint8)
    bits[0, 0] = bits[0, 9] = 1
    assert pack(bits).to_bytes().tolist() == [[1, 2]]
    with pytest.raises(ValueError, match="multiple of 8"):
        pack(np.zeros((1, 12), dtype=np.uint8)).to_bytes()


def test_pack_rejects_non_binary_values_and_points_to_from_signed():
    with pytest.raises(ValueError, match="only 0 and 1"):
        pack(np.array([[0, 2]]))
    with pytest.raises(ValueError, match="from_signed"):
        pack(np.array([[-1, 1]]))


def test_signed_conversion_round_trip():
    bits = np.array([[0, 1, 1, 0]], dtype=np.uint8)
    signs = to_signed(bits)
    assert signs.tolist() == [[-1, 1, 1, -1]]
    np.testing.assert_array_equal(from_signed(signs), bits)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        from_signed(np.array([[0, 1]]))


def test_packed_codes_indexing_keeps_two_dimensions():
    packed = pack(np.eye(4, 70, dtype=np.uint8))
    assert isinstance(packed[1], PackedCodes) and len(packed[1]) == 1
    np.testing.assert_array_equal(unpack(packed[[3, 0]]), np.eye(4, 70, dtype=np.uint8)[[3, 0]])
    assert as_packed(packed) is packed


@pytest.mark.parametrize("n_bits, message", [(48, "bits beyond the 48-bit code length are set"),
                                             (True, "n_bits must be a positive integer"),
                                             (12.5, "n_bits must be a positive integer"),
                                             (0, "n_bits must be a positive integer"),
                                             (200, "need 4 words")])
def test_malformed_packed_codes_are_refused_before_a_kernel_reads_them(n_bits, message):
    words = pack(np.ones((3, 64), dtype=np.uint8)).words
    with pytest.raises(ValueError, match=message):
        PackedCodes(words, n_bits)


def test_packed_codes_from_a_strided_view_are_made_contiguous():
    words = pack(np.ones((4, 128), dtype=np.uint8)).words
    view = PackedCodes(words[::2], 128)
    assert view.words.flags.c_contiguous and len(view) == 2
