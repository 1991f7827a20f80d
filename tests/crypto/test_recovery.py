"""Recovery codes and boxes: typos caught by the checksum, boxes bound to member and version."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.crypto import PrivateAnnotationKey, framing
from furano_meet.crypto.authority import StaleObject
from furano_meet.crypto.errors import MalformedData, WrongContext
from furano_meet.crypto.recovery import (
    ALPHABET,
    CODE_CHARS,
    DATA_CHARS,
    RecoveryCodeInvalid,
    RecoveryCodeWrong,
    RecoveryKey,
    derive_recovery_key,
    new_recovery_code,
    open_recovery_box,
    parse_recovery_code,
    seal_recovery_box,
)
from furano_meet.errors import Fault

CHEAP = 14  # the cheapest cost a box may name: these tests are about format, not cost


def key_for(code: str, user_id: str = "giin1", **kw: object) -> RecoveryKey:
    return derive_recovery_key(code, org_id="furano", user_id=user_id, log2_n=CHEAP, **kw)  # type: ignore[arg-type]


codes = st.builds(lambda _: new_recovery_code(), st.integers())


def test_a_code_is_8_groups_of_5_from_an_unambiguous_alphabet() -> None:
    code = new_recovery_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [5] * 8 and len("".join(groups)) == CODE_CHARS
    assert set("".join(groups)) <= set(ALPHABET) and not set("ILOU") & set(ALPHABET)
    assert DATA_CHARS * 5 >= 128
    assert new_recovery_code() != code


@settings(max_examples=25, deadline=None)
@given(codes, st.data())
def test_every_single_typo_and_swap_of_neighbours_is_caught(code: str, data: st.DataObject) -> None:
    chars = list(code.replace("-", ""))
    at = data.draw(st.integers(0, CODE_CHARS - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != chars[at]]))
    typo = [*chars[:at], other, *chars[at + 1 :]]
    with pytest.raises(RecoveryCodeInvalid) as caught:
        parse_recovery_code("".join(typo))
    assert caught.value.fault is Fault.USER and caught.value.next_step
    swapped = chars.copy()
    swapped[at - 1], swapped[at] = swapped[at], swapped[at - 1]
    if swapped != chars:
        with pytest.raises(RecoveryCodeInvalid):
            parse_recovery_code("".join(swapped))


def test_reading_forgives_case_width_dashes_and_look_alike_letters() -> None:
    code = new_recovery_code()
    plain = code.replace("-", "")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in plain.lower())
    spaced = " ".join(code.split("-")).replace("0", "O").replace("1", "l")
    for typed in (code, plain.lower(), full_width, spaced, code.replace("-", "ー")):
        assert parse_recovery_code(typed) == plain[:DATA_CHARS]


@pytest.mark.parametrize(
    ("typed", "says"),
    [("ABCDE-" * 7 + "ABCD", "39"), ("U" * CODE_CHARS, "'U'"), ("", "0")],
)
def test_a_wrong_length_or_character_is_named(typed: str, says: str) -> None:
    with pytest.raises(RecoveryCodeInvalid) as refused:
        parse_recovery_code(typed)
    assert says in refused.value.message


def test_the_box_opens_with_its_code_and_keeps_every_key() -> None:
    code = new_recovery_code()
    keys = {
        "m1": [
            PrivateAnnotationKey.generate("giin1", 7),
            PrivateAnnotationKey.generate("giin1", 9),
        ],
        "m2": [PrivateAnnotationKey.generate("giin1", 3)],
    }
    sealing = key_for(code)
    box = seal_recovery_box(sealing, keys, version=4)
    version, opened = open_recovery_box(box, key_for(code, salt=sealing.salt))
    assert version == 4
    assert {mid: sorted((k.epoch, k.export()) for k in ks) for mid, ks in opened.items()} == {
        mid: sorted((k.epoch, k.export()) for k in ks) for mid, ks in keys.items()
    }


def test_another_code_or_an_altered_box_does_not_open_it() -> None:
    code = new_recovery_code()
    sealing = key_for(code)
    box = seal_recovery_box(sealing, {"m": [PrivateAnnotationKey.generate("giin1", 2)]}, version=1)
    with pytest.raises(RecoveryCodeWrong) as wrong:
        open_recovery_box(box, key_for(new_recovery_code(), salt=sealing.salt))
    assert wrong.value.fault is Fault.USER
    altered = bytearray(box)
    altered[-1] ^= 1
    with pytest.raises(RecoveryCodeWrong):
        open_recovery_box(bytes(altered), sealing)


def test_a_box_of_another_member_or_an_older_version_is_refused() -> None:
    code = new_recovery_code()
    theirs = key_for(code, "giin2")
    box = seal_recovery_box(theirs, {}, version=3)
    with pytest.raises(WrongContext, match="giin2"):
        open_recovery_box(box, key_for(code, "giin1", salt=theirs.salt))
    with pytest.raises(StaleObject):
        open_recovery_box(box, theirs, min_version=4)
    assert open_recovery_box(box, theirs, min_version=3)[0] == 3


def test_a_header_rewritten_to_another_version_or_cost_does_not_open() -> None:
    code = new_recovery_code()
    sealing = key_for(code)
    box = seal_recovery_box(sealing, {}, version=2)
    fields = framing.decode(box, b"FMRB", 7, "box")
    fields[3] = framing.u64(9)
    with pytest.raises(RecoveryCodeWrong):
        open_recovery_box(framing.encode(b"FMRB", *fields), sealing)
    with pytest.raises(MalformedData):
        derive_recovery_key(code, org_id="furano", user_id="giin1", log2_n=30)
    with pytest.raises(WrongContext):
        seal_recovery_box(sealing, {"m": [PrivateAnnotationKey.generate("giin2", 2)]}, version=3)
