"""The relay database: secrets hashed, codes single-use, ops idempotent, schema guarded."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from furano_meet.errors import SchemaTooNew
from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server import demo
from server.errors import Refusal
from server.store import (
    PRESENTER_SEQ_MARGIN,
    PendingUpload,
    Store,
    normalise_code,
    storage_failure,
)

from .handler_world import op


def test_enrolment_codes_are_single_use_and_stored_hashed(store: Store, tmp_path: Path) -> None:
    code = store.issue_enrolment_code("giin1")
    identity, token = store.enrol(code.lower().replace("-", " "), "tablet", b"pk")
    assert identity.user_id == "giin1" and identity.role == "member"
    with pytest.raises(Refusal) as info:
        store.enrol(code, "another tablet", b"pk")
    assert info.value.code is ErrorCode.ENROLMENT_CODE_INVALID
    raw = (tmp_path / "relay.sqlite3").read_bytes() + (tmp_path / "relay.sqlite3-wal").read_bytes()
    assert normalise_code(code).encode() not in raw
    assert token.encode() not in raw


def test_expired_codes_are_refused(store: Store) -> None:
    code = store.issue_enrolment_code("giin1", ttl=timedelta(seconds=-1))
    with pytest.raises(Refusal) as info:
        store.enrol(code, "tablet", b"pk")
    assert info.value.code is ErrorCode.ENROLMENT_CODE_INVALID


def test_tokens_authenticate_until_the_device_is_revoked(store: Store) -> None:
    identity, token = store.enrol(store.issue_enrolment_code("iincho"), "pc", b"pk")
    assert store.authenticate(identity.device_id, token) == identity
    for device, secret in ((identity.device_id, token + "x"), ("dev-unknown", token)):
        with pytest.raises(Refusal) as info:
            store.authenticate(device, secret)
        assert info.value.code is ErrorCode.BAD_CREDENTIALS
    store.revoke_device(identity.device_id)
    with pytest.raises(Refusal) as info:
        store.authenticate(identity.device_id, token)
    assert info.value.code is ErrorCode.DEVICE_REVOKED
    assert store.revoked_among([identity.device_id, "dev-other"]) == {identity.device_id}


def test_membership_is_checked_without_revealing_other_meetings(store: Store) -> None:
    store.create_meeting("secret", demo.ORG_ID, "人事案件")
    store.set_members("secret", ["iincho"])
    assert store.meeting_for_member("secret", "iincho").title == "人事案件"
    for meeting in ("secret", "does-not-exist"):
        with pytest.raises(Refusal) as info:
            store.meeting_for_member(meeting, "giin1")
        assert info.value.code is ErrorCode.FORBIDDEN


def test_ops_are_idempotent_and_private_ones_stay_with_their_author(store: Store) -> None:
    author, _ = store.enrol(store.issue_enrolment_code("giin1"), "t", b"pk")
    results, logged = store.append_ops(demo.MEETING_ID, author, [op("a"), op("p", "private")])
    assert [r.duplicate for r in results] == [False, False] and len(logged) == 2
    again, logged_again = store.append_ops(demo.MEETING_ID, author, [op("a"), op("b")])
    assert again[0].seq == results[0].seq
    assert again[0].duplicate and not again[1].duplicate and len(logged_again) == 1
    own, _ = store.fetch_ops(demo.MEETING_ID, "giin1", 0, 100)
    other, _ = store.fetch_ops(demo.MEETING_ID, "giin2", 0, 100)
    assert [o.op_id for o in own] == ["a", "p", "b"]
    assert [o.op_id for o in other] == ["a", "b"]
    page, more = store.fetch_ops(demo.MEETING_ID, "giin1", 0, 2)
    assert more and [o.op_id for o in page] == ["a", "p"]
    rest, more = store.fetch_ops(demo.MEETING_ID, "giin1", page[-1].seq, 2)
    assert not more and [o.op_id for o in rest] == ["b"]


def test_key_envelopes_track_who_is_still_waiting(store: Store) -> None:
    clerk, _ = store.enrol(store.issue_enrolment_code("jimukyoku"), "pc", b"pk-clerk")
    member, _ = store.enrol(store.issue_enrolment_code("giin1"), "t", b"pk-member")
    waiting = {d.device_id for d in store.devices_awaiting_key(demo.MEETING_ID)}
    assert waiting == {clerk.device_id, member.device_id}
    env = m.KeyEnvelope(device_id=clerk.device_id, epoch=1, envelope=b"sealed")
    store.put_envelopes(demo.MEETING_ID, [env], clerk.device_id)
    waiting = {d.device_id for d in store.devices_awaiting_key(demo.MEETING_ID)}
    assert waiting == {member.device_id}
    outsider_code = store.issue_enrolment_code("admin")  # admin is not a member of the demo meeting
    outsider, _ = store.enrol(outsider_code, "pc", b"pk")
    with pytest.raises(Refusal):
        store.put_envelopes(
            demo.MEETING_ID,
            [m.KeyEnvelope(device_id=outsider.device_id, epoch=1, envelope=b"x")],
            clerk.device_id,
        )


def test_a_replacement_needs_a_higher_version(store: Store) -> None:
    assert store.check_publishable(demo.MEETING_ID, "d", 1, "a" * 64) is False
    from server.store import PendingUpload

    store.publish(
        PendingUpload("k", demo.MEETING_ID, "d", 1, 10, "a" * 64, b"man", "dev"), "jimukyoku"
    )
    assert (
        store.check_publishable(demo.MEETING_ID, "d", 1, "a" * 64) is True
    )  # same bytes: idempotent
    for version, sha in ((1, "b" * 64), (1, "a" * 63 + "b")):
        with pytest.raises(Refusal) as info:
            store.check_publishable(demo.MEETING_ID, "d", version, sha)
        assert info.value.code is ErrorCode.CONFLICT
    assert store.check_publishable(demo.MEETING_ID, "d", 2, "b" * 64) is False


def test_a_database_from_a_newer_relay_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "relay.sqlite3"
    s = Store(path)
    s.open()
    s.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET major = 2")
    db.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as info:
        Store(path).open()
    assert info.value.found.startswith("2.") and info.value.supported == "1.x"
    assert "relay database" in str(info.value) and "newer version" in str(info.value)
    assert path.read_bytes() == before


def test_disk_trouble_is_recognised() -> None:
    assert "full" in (storage_failure(OSError(28, "No space left on device")) or "")
    assert storage_failure(sqlite3.OperationalError("database or disk is full"))
    assert storage_failure(sqlite3.OperationalError("attempt to write a readonly database"))
    assert storage_failure(ValueError("bug")) is None


def test_a_1_0_database_migrates_to_the_current_schema_keeping_envelopes(tmp_path: Path) -> None:
    from server.migrations import SCHEMA

    path = tmp_path / "relay.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (major INTEGER, minor INTEGER)")
        db.executescript(SCHEMA[0][1])
        db.execute("INSERT INTO schema_version VALUES (1, 0)")
        db.execute("INSERT INTO orgs VALUES ('o', 'Org', '', 'now')")
        db.execute("INSERT INTO users VALUES ('u', 'o', 'U', 'member', 'now')")
        db.execute("INSERT INTO devices VALUES ('d', 'u', 'n', x'00', x'', x'', 'now', NULL)")
        db.execute("INSERT INTO meetings VALUES ('m', 'o', 'M', '', '', 'now')")
        db.execute("INSERT INTO key_envelopes VALUES ('m', 'd', 3, x'abcd', 'd', 'now')")
    db.close()
    store = Store(path)
    store.open()
    try:
        assert store.envelopes_for("m", "d") == [
            m.KeyEnvelope(
                device_id="d", epoch=3, envelope=b"\xab\xcd", sealed_by="d", purpose="meeting"
            )
        ]
        version = store.db.execute("SELECT major, minor FROM schema_version").fetchone()
        assert version == SCHEMA[-1][0]
    finally:
        store.close()


def pending(version: int, sha: str, key: str = "k") -> PendingUpload:
    return PendingUpload(key, demo.MEETING_ID, "d", version, 10, sha, b"man", "dev")


def test_publish_checks_the_version_again_inside_its_transaction(store: Store) -> None:
    """Both uploads passed ``check_publishable`` at ``begin_upload``; only the first wins."""
    first, second = pending(1, "a" * 64, "k1"), pending(1, "b" * 64, "k2")
    assert store.publish(first, "jimukyoku").sha256 == "a" * 64
    with pytest.raises(Refusal) as same_version:
        store.publish(second, "jimukyoku")
    assert same_version.value.code is ErrorCode.CONFLICT
    assert store.publish(first, "jimukyoku").sha256 == "a" * 64  # a replay is idempotent
    store.publish(pending(3, "c" * 64, "k3"), "jimukyoku")
    with pytest.raises(Refusal) as lower:
        store.publish(pending(2, "d" * 64, "k4"), "jimukyoku")
    assert lower.value.code is ErrorCode.CONFLICT
    assert [d.version for d in store.documents(demo.MEETING_ID)] == [1, 3]


def test_only_the_sealing_device_replaces_an_envelope(store: Store) -> None:
    clerk, _ = store.enrol(store.issue_enrolment_code("jimukyoku"), "pc", b"pk")
    member, _ = store.enrol(store.issue_enrolment_code("giin1"), "t", b"pk")
    rogue, _ = store.enrol(store.issue_enrolment_code("giin2"), "t", b"pk")
    real = m.KeyEnvelope(device_id=member.device_id, epoch=1, envelope=b"real", sealed_by="x")
    stored = store.put_envelopes(demo.MEETING_ID, [real], clerk.device_id)
    assert [e.sealed_by for e in stored] == [clerk.device_id]  # not what the client wrote
    fake = m.KeyEnvelope(device_id=member.device_id, epoch=1, envelope=b"fake")
    assert store.put_envelopes(demo.MEETING_ID, [fake], rogue.device_id) == []
    assert [e.envelope for e in store.envelopes_for(demo.MEETING_ID, member.device_id)] == [b"real"]
    resealed = m.KeyEnvelope(device_id=member.device_id, epoch=1, envelope=b"resealed")
    assert len(store.put_envelopes(demo.MEETING_ID, [resealed], clerk.device_id)) == 1
    assert store.envelopes_for(demo.MEETING_ID, member.device_id)[0].envelope == b"resealed"


def test_devices_of_removed_members_are_not_key_holders(store: Store) -> None:
    store.add_user("shoki2", demo.ORG_ID, "書記 2", "clerk")
    store.set_members(demo.MEETING_ID, ["jimukyoku", "iincho", "giin1", "giin2", "shoki2"])
    clerk, _ = store.enrol(store.issue_enrolment_code("jimukyoku"), "pc", b"pk")
    leaver, _ = store.enrol(store.issue_enrolment_code("shoki2"), "t", b"pk")
    member, _ = store.enrol(store.issue_enrolment_code("giin1"), "t", b"pk")
    for device in (clerk, leaver, member):
        env = m.KeyEnvelope(device_id=device.device_id, epoch=1, envelope=b"k")
        store.put_envelopes(demo.MEETING_ID, [env], device.device_id)
    online = [clerk.device_id, leaver.device_id, member.device_id]
    # (1.3) only clerks' and administrators' devices hand out meeting keys
    assert set(store.key_holders_among(demo.MEETING_ID, online)) == set(online[:2])
    store.set_members(demo.MEETING_ID, ["jimukyoku", "iincho", "giin1", "giin2"])
    assert store.key_holders_among(demo.MEETING_ID, online) == [clerk.device_id]
    store.revoke_device(clerk.device_id)
    assert store.key_holders_among(demo.MEETING_ID, online) == []


def test_last_op_seq_counts_only_ops_the_user_may_fetch(store: Store) -> None:
    author, _ = store.enrol(store.issue_enrolment_code("giin1"), "t", b"pk")
    results, _ = store.append_ops(demo.MEETING_ID, author, [op("s1"), op("p1", "private")])
    shared_seq, private_seq = (r.seq for r in results)
    assert store.last_op_seq(demo.MEETING_ID, "giin1") == private_seq
    assert store.last_op_seq(demo.MEETING_ID, "giin2") == shared_seq


def test_the_member_list_cache_follows_changes_from_here_and_from_the_cli(
    store: Store, tmp_path: Path
) -> None:
    before = {x.user_id for x in store.members(demo.MEETING_ID)}
    assert "admin" not in before
    store.set_members(demo.MEETING_ID, [*before, "admin"])
    assert "admin" in {x.user_id for x in store.members(demo.MEETING_ID)}
    cli = Store(tmp_path / "relay.sqlite3")  # the admin CLI: another connection
    cli.open()
    try:
        cli.set_members(demo.MEETING_ID, ["giin1"])
    finally:
        cli.close()
    assert [x.user_id for x in store.members(demo.MEETING_ID)] == ["giin1"]


def test_a_loaded_presenter_state_starts_above_anything_sent_before_a_crash(
    store: Store,
) -> None:
    store.save_presenter(demo.MEETING_ID, m.PresenterState(seq=40, page=3))
    loaded = store.load_presenter(demo.MEETING_ID)
    assert loaded is not None and loaded.page == 3
    assert loaded.seq >= 40 + PRESENTER_SEQ_MARGIN


def test_abandoned_upload_rows_can_be_listed_and_forgotten(store: Store) -> None:
    store.save_upload(pending(1, "a" * 64, "k1"))
    store.save_upload(pending(2, "b" * 64, "k2"))
    assert set(store.upload_keys()) == {"k1", "k2"}
    store.forget_uploads(["k1"])
    store.forget_upload("k2")
    assert store.upload_keys() == {}
