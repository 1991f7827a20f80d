"""A client session and a relay session wired together in memory: no sockets, same rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from furano_meet.protocol import (
    Chunk,
    ChunkKind,
    ErrorCode,
    LocalProtocolError,
    Phase,
    RemoteProtocolError,
    Session,
    encode,
    encode_chunk,
    version_refusal,
)
from furano_meet.protocol import messages as m
from furano_meet.protocol.codec import PROTOCOL_MAJOR, PROTOCOL_MINOR
from furano_meet.protocol.session import client_may_send, failure


class Wire:
    """Carries frames between the two sessions, as a socket would."""

    def __init__(self) -> None:
        self.client = Session(role="client")
        self.relay = Session(role="relay")

    def to_relay(self, message: m.Msg) -> m.Msg | Chunk:
        return self.relay.receive(self.client.send(message))

    def to_client(self, message: m.Msg) -> m.Msg | Chunk:
        return self.client.receive(self.relay.send(message))

    def phases(self) -> tuple[Phase, Phase]:
        """Both ends' phases, read afresh: mypy keeps an asserted ``session.phase`` narrowed
        across the calls that move it on."""
        return self.client.phase, self.relay.phase

    def handshake(self) -> None:
        hello = self.to_relay(m.Hello(rid=self.client.next_rid(), major=1, minor=0))
        assert isinstance(hello, m.Hello) and version_refusal(hello) is None
        self.to_client(welcome(hello.rid))

    def authenticate(self) -> None:
        self.handshake()
        request = self.to_relay(m.Authenticate(rid=2, device_id="dev-1", token="t" * 20))
        assert isinstance(request, m.Authenticate)
        self.to_client(
            m.Authenticated(
                rid=request.rid,
                org_id="o",
                user_id="u",
                device_id="dev-1",
                role="member",
                display_name="U",
            )
        )


def welcome(rid: int) -> m.Welcome:
    return m.Welcome(
        rid=rid,
        major=1,
        minor=0,
        server="test",
        max_frame=1 << 20,
        max_chunk=1 << 20,
        max_document=1 << 30,
    )


def test_both_ends_walk_the_same_phases() -> None:
    wire = Wire()
    assert wire.phases() == (Phase.HANDSHAKE, Phase.HANDSHAKE)
    wire.handshake()
    assert wire.phases() == (Phase.ANONYMOUS, Phase.ANONYMOUS)
    request = wire.to_relay(m.Authenticate(rid=2, device_id="dev-1", token="t" * 20))
    assert isinstance(request, m.Authenticate)
    wire.to_client(
        m.Authenticated(
            rid=2, org_id="o", user_id="u", device_id="dev-1", role="chair", display_name="U"
        )
    )
    assert wire.client.phase is wire.relay.phase is Phase.READY
    turned = wire.to_relay(m.PresentPage(meeting_id="m1", document_id="d1", version=1, page=2))
    assert isinstance(turned, m.PresentPage) and turned.page == 2


def test_requests_before_authentication_are_refused_on_both_sides() -> None:
    wire = Wire()
    wire.handshake()
    join = m.JoinMeeting(meeting_id="m1")
    with pytest.raises(LocalProtocolError) as local:
        wire.client.send(join)
    assert local.value.code is ErrorCode.NOT_AUTHENTICATED
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(join))  # a hostile client skipping its own checks
    assert remote.value.code is ErrorCode.NOT_AUTHENTICATED


def test_nothing_but_hello_is_allowed_first() -> None:
    wire = Wire()
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(m.Authenticate(device_id="d", token="x")))
    assert remote.value.code is ErrorCode.UNEXPECTED_MESSAGE


def test_hello_and_enrolment_are_not_repeated_after_authentication() -> None:
    wire = Wire()
    wire.authenticate()
    with pytest.raises(RemoteProtocolError):
        wire.relay.receive(encode(m.Hello(major=1, minor=0)))
    with pytest.raises(RemoteProtocolError):
        wire.relay.receive(encode(m.Enrol(code="ABCDEFGH", device_name="x", public_keys=b"")))


def test_a_second_hello_is_unexpected_not_a_request_for_authentication() -> None:
    wire = Wire()
    wire.handshake()
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(m.Hello(rid=4, major=1, minor=0)))
    assert (remote.value.code, remote.value.rid) == (ErrorCode.UNEXPECTED_MESSAGE, 4)
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(m.ListMeetings(rid=5)))
    assert remote.value.code is ErrorCode.NOT_AUTHENTICATED


def test_each_side_sends_only_the_fields_its_peer_knows() -> None:
    wire = Wire()
    wire.handshake()  # the client says it speaks 1.0
    assert wire.relay.peer_minor == 0
    failed = m.Failed(rid=3, code="forbidden", message="no", meeting_id="m1")
    frame = wire.relay.send(failed)
    assert "meeting_id" not in frame
    assert wire.client.receive(frame) == m.Failed(rid=3, code="forbidden", message="no")


def test_binary_frames_need_authentication() -> None:
    wire = Wire()
    wire.handshake()
    chunk = Chunk(ChunkKind.UPLOAD, 1, 0, b"data")
    with pytest.raises(LocalProtocolError):
        wire.client.send_chunk(chunk)
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode_chunk(chunk))
    assert remote.value.code is ErrorCode.NOT_AUTHENTICATED
    wire2 = Wire()
    wire2.authenticate()
    received = wire2.relay.receive(wire2.client.send_chunk(chunk))
    assert isinstance(received, Chunk) and bytes(received.payload) == b"data"


def test_a_relay_message_cannot_be_sent_by_a_client() -> None:
    wire = Wire()
    with pytest.raises(LocalProtocolError):
        wire.client.send(welcome(1))
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(welcome(1)))
    assert remote.value.code is ErrorCode.UNEXPECTED_MESSAGE


def test_an_incompatible_major_gets_a_clear_fatal_refusal() -> None:
    wire = Wire()
    hello = wire.relay.receive('{"v":2,"type":"hello","rid":1,"major":2,"minor":5,"features":[]}')
    assert isinstance(hello, m.Hello)
    refusal = version_refusal(hello)
    assert refusal is not None and refusal.fatal and refusal.code == ErrorCode.VERSION_UNSUPPORTED
    assert "2.5" in refusal.message and "Update the relay" in refusal.message
    reply = wire.to_client(refusal)
    assert isinstance(reply, m.Failed)
    assert wire.client.phase is wire.relay.phase is Phase.CLOSED
    older = version_refusal(m.Hello(major=0, minor=9))
    assert older is not None and "Update the app" in older.message
    with pytest.raises(RemoteProtocolError):
        wire.relay.receive(encode(m.Hello(major=1, minor=0)))


def test_request_ids_are_unique_per_session() -> None:
    session = Session(role="client")
    rids = {session.next_rid() for _ in range(100)}
    assert len(rids) == 100 and 0 not in rids


def test_a_closed_session_receives_nothing_and_sends_nothing() -> None:
    wire = Wire()
    wire.authenticate()
    wire.relay.close()
    assert wire.relay.phase is Phase.CLOSED
    for frame in (encode(m.ListMeetings(rid=7)), encode_chunk(Chunk(ChunkKind.UPLOAD, 1, 0, b"x"))):
        with pytest.raises(RemoteProtocolError, match="the session is closed") as remote:
            wire.relay.receive(frame)
        assert remote.value.code is ErrorCode.UNEXPECTED_MESSAGE
    wire.client.close()
    with pytest.raises(LocalProtocolError, match="list_meetings is not allowed in closed") as local:
        wire.client.send(m.ListMeetings(rid=8))
    assert (local.value.code, local.value.rid) == (ErrorCode.UNEXPECTED_MESSAGE, 8)
    with pytest.raises(LocalProtocolError, match="chunks need an authenticated session"):
        wire.client.send_chunk(Chunk(ChunkKind.UPLOAD, 1, 0, b"x"))


def test_a_failure_that_is_not_fatal_keeps_the_session_open() -> None:
    wire = Wire()
    wire.authenticate()
    wire.to_client(m.Failed(rid=3, code="forbidden", message="no"))
    assert wire.phases() == (Phase.READY, Phase.READY)
    wire.to_client(m.Failed(rid=4, code="device_revoked", message="gone", fatal=True))
    assert wire.client.phase is wire.relay.phase is Phase.CLOSED


def test_each_end_knows_its_peer() -> None:
    assert Session(role="client").peer == "relay"
    assert Session(role="relay").peer == "client"


def test_the_peer_minor_is_capped_at_ours_and_set_only_by_our_major() -> None:
    wire = Wire()
    hello = wire.to_relay(m.Hello(rid=1, major=1, minor=PROTOCOL_MINOR + 5))
    assert isinstance(hello, m.Hello)
    assert wire.relay.peer_minor == PROTOCOL_MINOR  # a newer client is served what we know
    wire.to_client(replace(welcome(1), minor=0))
    assert wire.client.peer_minor == 0
    other = Session(role="relay", peer_minor=1)
    other.receive(encode(m.Hello(rid=1, major=2, minor=0)))
    assert other.peer_minor == 1  # another major's minor means nothing here


def test_a_client_may_not_send_what_only_the_relay_sends_even_when_ready() -> None:
    assert client_may_send(Phase.READY, m.ListMeetings)
    assert not client_may_send(Phase.READY, m.MeetingsListed)
    assert not client_may_send(Phase.READY, m.Hello)
    assert not client_may_send(Phase.READY, m.Authenticate)
    assert not client_may_send(Phase.CLOSED, m.ListMeetings)
    assert client_may_send(Phase.ANONYMOUS, m.Enrol)
    assert not client_may_send(Phase.HANDSHAKE, m.Enrol)


def test_request_ids_start_at_one_and_count_up() -> None:
    session = Session(role="client")
    assert [session.next_rid() for _ in range(3)] == [1, 2, 3]


def test_the_refusal_of_a_major_names_both_versions_and_answers_the_hello() -> None:
    refusal = version_refusal(m.Hello(rid=9, major=PROTOCOL_MAJOR + 1, minor=3))
    assert refusal is not None
    assert (refusal.rid, refusal.fatal) == (9, True)
    assert refusal.message == (
        f"This relay speaks protocol {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; "
        f"the client speaks {PROTOCOL_MAJOR + 1}.3. Update the relay."
    )


def test_a_failure_frame_carries_the_errors_code_rid_and_a_bounded_message() -> None:
    wire = Wire()
    wire.handshake()
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(encode(m.ListMeetings(rid=6)))
    reported = failure(remote.value)
    assert (reported.rid, reported.code, reported.fatal, reported.meeting_id) == (
        6,
        "not_authenticated",
        False,
        "",
    )
    assert reported.message == remote.value.message
    overridden = failure(remote.value, rid=11, fatal=True, meeting_id="m1")
    assert (overridden.rid, overridden.fatal, overridden.meeting_id) == (11, True, "m1")
    remote.value.message = "x" * 5000
    assert failure(remote.value).message == "x" * 2000


def test_each_end_accepts_only_the_chunk_kind_its_peer_sends() -> None:
    wire = Wire()
    wire.authenticate()
    download = encode_chunk(Chunk(ChunkKind.DOWNLOAD, 1, 0, b"x"))
    with pytest.raises(RemoteProtocolError) as remote:
        wire.relay.receive(download)  # a client posing as the relay
    assert remote.value.code is ErrorCode.UNEXPECTED_MESSAGE
    received = wire.client.receive(download)
    assert isinstance(received, Chunk) and received.kind is ChunkKind.DOWNLOAD


def test_a_text_frame_over_the_sessions_limit_is_refused() -> None:
    session = Session(role="relay", max_frame=120)
    hello = encode(m.Hello(rid=1, major=1, minor=0, client="x" * 100))  # ~150 bytes
    with pytest.raises(RemoteProtocolError):
        session.receive(hello)
    assert isinstance(Session(role="relay").receive(hello), m.Hello)
