"""A client session and a relay session wired together in memory: no sockets, same rules."""

from __future__ import annotations

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
    version_refusal,
)
from furano_meet.protocol import messages as m


class Wire:
    """Carries frames between the two sessions, as a socket would."""

    def __init__(self) -> None:
        self.client = Session(role="client")
        self.relay = Session(role="relay")

    def to_relay(self, message: m.Msg) -> m.Msg | Chunk:
        return self.relay.receive(self.client.send(message))

    def to_client(self, message: m.Msg) -> m.Msg | Chunk:
        return self.client.receive(self.relay.send(message))

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
    assert wire.client.phase is wire.relay.phase is Phase.HANDSHAKE
    wire.handshake()
    assert wire.client.phase is wire.relay.phase is Phase.ANONYMOUS
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
    from furano_meet.protocol import encode_chunk

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
