"""The in-memory bank set and the hash screener, through their public interfaces."""

from __future__ import annotations

import numpy as np

from services.prescreen.core.banks import BankSet
from services.prescreen.core.hash_screener import HashScreener
from services.prescreen.core.model import CaseInput, MediaItem, Usability
from shared.events import Category
from shared.events.screening import BankDefined, BankRemoved, HashAdded, HashRemoved

RNG = np.random.default_rng(5)


def pdq_hex(bits: np.ndarray) -> str:
    return np.packbits(bits).tobytes().hex()


def random_bits() -> np.ndarray:
    return RNG.integers(0, 2, 256, dtype=np.uint8)


def flipped(bits: np.ndarray, count: int) -> np.ndarray:
    out = bits.copy()
    out[RNG.choice(256, count, replace=False)] ^= 1
    return out


def define(
    name: str, category: Category | None, kind: str = "block", threshold: int = 31
) -> BankDefined:
    return BankDefined.model_validate(
        {"schema_version": 1, "type": "bank.defined", "bank": name, "kind": kind,
         "category": category, "pdq_threshold": threshold},
        strict=False,
    )  # fmt: skip


def add(bank: str, algorithm: str, value: str, quality: int | None = None) -> HashAdded:
    return HashAdded.model_validate(
        {"schema_version": 1, "type": "hash.added", "bank": bank, "algorithm": algorithm,
         "hash": value, "quality": quality},
        strict=False,
    )  # fmt: skip


def remove(bank: str, algorithm: str, value: str) -> HashRemoved:
    return HashRemoved.model_validate(
        {"schema_version": 1, "type": "hash.removed", "bank": bank, "algorithm": algorithm,
         "hash": value},
        strict=False,
    )  # fmt: skip


def case(*media: MediaItem) -> CaseInput:
    return CaseInput(case_id="c", revision=1, category=Category.OTHER, media=media)


def test_pdq_matches_up_to_the_bank_threshold_and_not_beyond() -> None:
    base = random_bits()
    banks = BankSet()
    banks.apply([define("csam", Category.CHILD_SEXUAL_ABUSE), add("csam", "pdq", pdq_hex(base))])
    screener = HashScreener(banks)
    at = {d: MediaItem(pdq=pdq_hex(flipped(base, d))) for d in (0, 30, 31, 32, 40)}
    results = screener.screen([case(m) for m in at.values()])
    found = {d: [(f.ref, f.distance) for f in r.findings] for d, r in zip(at, results, strict=True)}
    assert found == {0: [("csam", 0)], 30: [("csam", 30)], 31: [("csam", 31)], 32: [], 40: []}
    assert results[0].scores == {Category.CHILD_SEXUAL_ABUSE: 1.0}
    assert 0.5 <= results[2].scores[Category.CHILD_SEXUAL_ABUSE] < 1.0


def test_a_bank_threshold_narrower_than_the_default_is_honoured() -> None:
    base = random_bits()
    banks = BankSet()
    banks.apply(
        [define("strict", Category.TERRORISM, threshold=10), add("strict", "pdq", pdq_hex(base))]
    )
    near_hash, far_hash = pdq_hex(flipped(base, 10)), pdq_hex(flipped(base, 11))
    [near, far] = HashScreener(banks).screen(
        [case(MediaItem(pdq=near_hash)), case(MediaItem(pdq=far_hash))]
    )
    assert [f.distance for f in near.findings] == [10]
    assert far.findings == ()


def test_exact_hashes_match_case_insensitively_and_removal_takes_effect() -> None:
    sha = "ab" * 32
    banks = BankSet()
    banks.apply(
        [define("t", Category.TERRORISM), add("t", "sha256", sha), add("t", "md5", "cd" * 16)]
    )
    screener = HashScreener(banks)
    [upper, md5] = screener.screen(
        [case(MediaItem(sha256=sha.upper())), case(MediaItem(md5="cd" * 16))]
    )
    assert [(f.ref, f.detail) for f in upper.findings] == [("t", "sha256")]
    assert [(f.ref, f.detail) for f in md5.findings] == [("t", "md5")]
    banks.apply([remove("t", "sha256", sha)])
    [gone] = screener.screen([case(MediaItem(sha256=sha))])
    assert gone.findings == ()
    assert banks.sizes() == {"t": 1}


def test_an_allow_list_hit_suppresses_block_hits_of_that_media() -> None:
    base = random_bits()
    collision = flipped(base, 20)  # a known false positive near a bank entry
    banks = BankSet()
    banks.apply([
        define("csam", Category.CHILD_SEXUAL_ABUSE), add("csam", "pdq", pdq_hex(base)),
        define("fp", None, kind="allow", threshold=0), add("fp", "pdq", pdq_hex(collision)),
    ])  # fmt: skip
    [allowed, other] = HashScreener(banks).screen(
        [case(MediaItem(pdq=pdq_hex(collision))), case(MediaItem(pdq=pdq_hex(flipped(base, 3))))]
    )
    assert allowed.findings == ()
    assert any("allow-list" in n for n in allowed.notes)
    assert [f.ref for f in other.findings] == ["csam"]


def test_low_quality_and_malformed_hashes_are_reported_not_matched() -> None:
    base = random_bits()
    banks = BankSet()
    banks.apply([define("b", Category.CHILD_SEXUAL_ABUSE), add("b", "pdq", pdq_hex(base))])
    [low, bad, nothing] = HashScreener(banks).screen(
        [
            case(MediaItem(pdq=pdq_hex(base), pdq_quality=49)),
            case(MediaItem(pdq="xyz", sha256="12")),
            case(),
        ]
    )
    assert low.findings == ()
    assert low.usability is Usability.UNUSABLE
    assert "quality 49" in low.notes[0]
    assert bad.usability is Usability.UNUSABLE
    assert sorted(bad.notes) == ["malformed pdq hash ignored", "malformed sha256 hash ignored"]
    assert nothing.usability is Usability.NO_INPUT


def test_bank_hashes_added_with_low_quality_never_match() -> None:
    base = random_bits()
    banks = BankSet()
    banks.apply([define("b", Category.SPAM), add("b", "pdq", pdq_hex(base), quality=30)])
    [result] = HashScreener(banks).screen([case(MediaItem(pdq=pdq_hex(base)))])
    assert result.findings == ()


def test_hashes_seen_before_their_bank_match_once_it_is_defined() -> None:
    base = random_bits()
    banks = BankSet()
    banks.apply([add("late", "pdq", pdq_hex(base))])
    screener = HashScreener(banks)
    assert screener.screen([case(MediaItem(pdq=pdq_hex(base)))])[0].findings == ()
    banks.apply([define("late", Category.NON_CONSENSUAL_IMAGERY)])
    assert [f.ref for f in screener.screen([case(MediaItem(pdq=pdq_hex(base)))])[0].findings] == [
        "late"
    ]


def test_adding_a_hash_twice_keeps_one_and_removing_the_bank_removes_all() -> None:
    base = random_bits()
    banks = BankSet()
    update = add("b", "pdq", pdq_hex(base))
    banks.apply([define("b", Category.SPAM), update])
    banks.apply([update])
    assert banks.sizes() == {"b": 1}
    banks.apply([BankRemoved(schema_version=1, type="bank.removed", bank="b")])
    assert banks.sizes() == {}
    assert HashScreener(banks).screen([case(MediaItem(pdq=pdq_hex(base)))])[0].findings == ()


def test_a_bulk_loaded_bank_and_later_additions_are_both_searched() -> None:
    bulk = RNG.integers(0, 256, (5000, 32), dtype=np.uint8)
    banks = BankSet()
    banks.apply([define("big", Category.CHILD_SEXUAL_ABUSE)])
    banks.load_pdq("big", bulk)
    extra = random_bits()
    banks.apply([add("big", "pdq", pdq_hex(extra))])
    [old, new] = HashScreener(banks).screen(
        [case(MediaItem(pdq=bulk[17].tobytes().hex())), case(MediaItem(pdq=pdq_hex(extra)))]
    )
    assert [f.distance for f in old.findings] == [0]
    assert [f.distance for f in new.findings] == [0]
    assert banks.sizes() == {"big": 5001}


# --- mirrored and rotated copies --------------------------------------------------------------
# PDQ hashes an image by the signs of its 16x16 low-frequency DCT coefficients around their
# median; a flip multiplies coefficient (i, j) by (-1)**j, a transpose swaps i and j, so a
# client gets the hashes of all 8 dihedral transforms from one DCT, as PDQ's reference does.
_DCT = np.sqrt(2 / 64) * np.cos(np.pi / 64 * np.arange(16)[:, None] * (np.arange(64) + 0.5))
_SIGN = (-1.0) ** np.arange(16)


def _dct(image: np.ndarray) -> np.ndarray:
    result: np.ndarray = _DCT @ image @ _DCT.T
    return result


def _hash(coefficients: np.ndarray) -> str:
    return pdq_hex((coefficients > np.median(coefficients)).astype(np.uint8).reshape(-1))


def _dihedral(coefficients: np.ndarray) -> list[str]:
    flips = [
        coefficients * _SIGN[None, :],  # mirrored left-right
        coefficients * _SIGN[:, None],  # mirrored top-bottom
        coefficients * _SIGN[:, None] * _SIGN[None, :],  # rotated 180
    ]
    transposed = [coefficients.T, *(f.T for f in flips)]  # transposes and 90/270 rotations
    return [_hash(c) for c in (*flips, *transposed)]


def test_a_mirrored_or_rotated_copy_matches_through_its_dihedral_hashes() -> None:
    image = np.cumsum(np.cumsum(RNG.normal(size=(64, 64)), axis=0), axis=1)  # smooth, like a photo
    banks = BankSet()
    banks.apply(
        [define("csam", Category.CHILD_SEXUAL_ABUSE), add("csam", "pdq", _hash(_dct(image)))]
    )
    screener = HashScreener(banks)
    for copy in (image[:, ::-1], image[::-1, :], np.rot90(image), np.rot90(image, 3), image.T):
        coefficients = _dct(np.ascontiguousarray(copy))
        alone = MediaItem(pdq=_hash(coefficients), pdq_quality=90)
        with_variants = MediaItem(
            pdq=_hash(coefficients), pdq_quality=90, pdq_dihedral=tuple(_dihedral(coefficients))
        )
        [missed, matched] = screener.screen([case(alone), case(with_variants)])
        assert missed.findings == ()  # one hash per item: a flipped copy is far from the bank's
        assert [(f.ref, f.distance) for f in matched.findings] == [("csam", 0)]


def test_malformed_dihedral_hashes_are_noted_and_the_rest_used() -> None:
    banks = BankSet()
    bits = random_bits()
    banks.apply([define("b", Category.SPAM), add("b", "pdq", pdq_hex(bits))])
    item = MediaItem(pdq=pdq_hex(random_bits()), pdq_dihedral=("zz", pdq_hex(flipped(bits, 3))))
    [result] = HashScreener(banks).screen([case(item)])
    assert [(f.ref, f.distance) for f in result.findings] == [("b", 3)]
    assert "malformed pdq_dihedral hash ignored" in result.notes
