"""A received note comes with its event, as stored (issue #9: a screen paints it without reading
the store first); a deleted one is named only."""

from __future__ import annotations

from furano_meet.store.records import Visibility
from furano_meet.sync.events import AnnotationsChanged
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, stroke


async def author_and_reader(council: Council) -> tuple[Device, Device]:
    """giin1 and giin2 online, the meeting's key made by the clerk: shared notes can go."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    author = await council.device("giin1")
    reader = await council.device("giin2")
    for device in (author, reader):
        await device.engine.wait_online()
    return author, reader


async def test_a_received_note_comes_with_its_event_as_stored(council: Council) -> None:
    author, reader = await author_and_reader(council)
    body = stroke((10, 20), (30, 40), (50, 45))
    shared = await author.engine.add_annotation(
        MEETING_ID, "doc", 1, 2, body, visibility=Visibility.SHARED
    )
    event = await reader.wait_for(AnnotationsChanged, lambda e: shared in e.annotation_ids)
    [sent] = event.notes
    [stored] = await reader.engine.annotations("doc", 1, 2)
    assert sent.annotation_id == stored.annotation_id == shared
    assert sent.body == stored.body == body
    assert (sent.author, sent.page, sent.visibility) == ("giin1", 2, Visibility.SHARED)
    assert (stored.author, stored.page, stored.visibility) == ("giin1", 2, Visibility.SHARED)

    await author.engine.delete_annotation(shared)
    gone = await reader.wait_for(  # the deletion's event (not a repeat of the addition's)
        AnnotationsChanged,
        lambda e: shared in e.annotation_ids and all(n.annotation_id != shared for n in e.notes),
    )
    assert gone.notes == ()
    assert await reader.engine.annotations("doc", 1, 2) == ()
