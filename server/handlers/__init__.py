"""The relay's request handlers, one module per idea, each a function ``(state, client, msg)``.

=================  ==========================================================================
``session``        the handshake (``hello``, ``enrol``, ``authenticate``) and a connection's end
``meetings``       meetings, presence and the presenter; saving the presenter state lazily
``uploads``        resumable uploads: claim, chunks, verify, publish; stale ``.part`` clean-up
``documents``      downloads, withdrawal, receipts, the document list
``keys``           key envelopes, device keys, certification of new devices
``invitations``    (1.3) invitations signed on the admin's device: stored, found by code key
``oplog``          the annotation log: append and fetch
``paging``         fitting replies within the frame limit (``more``, ``truncated``)
``admin``          changes made by the admin CLI: revoked devices, removed members
``recovery``       (1.3) each user's sealed recovery box: put and get, own certified devices
=================  ==========================================================================

Handlers share one :class:`~server.state.RelayState` and answer through the client's mailbox;
they raise :class:`~server.errors.Refusal` (or a protocol error) and the pump turns it into a
``failed`` frame.  No handler imports the pump (:mod:`server.relay`).
"""
