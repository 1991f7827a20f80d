"""The relay database schema, as an ordered list of migrations.

Versions are ``(major, minor)``: a minor step only adds (tables, columns, indexes) and is applied
in place, inside one transaction; a database whose *major* is newer than this code knows is
refused with an explanation, because reading it could silently misinterpret data.
"""

from __future__ import annotations

from typing import Final

SCHEMA: Final[tuple[tuple[tuple[int, int], str], ...]] = (
    (
        (1, 0),
        """
        CREATE TABLE orgs (
            org_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            root_fingerprint TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE users (
            user_id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(org_id),
            display_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'chair', 'member')),
            created_at TEXT NOT NULL
        );
        CREATE TABLE devices (
            device_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(user_id),
            name TEXT NOT NULL,
            token_hash BLOB NOT NULL,
            public_keys BLOB NOT NULL,
            certificate BLOB NOT NULL DEFAULT x'',
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX devices_by_user ON devices(user_id);
        CREATE TABLE enrolment_codes (
            code_hash BLOB PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(user_id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_by TEXT
        );
        CREATE TABLE meetings (
            meeting_id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(org_id),
            title TEXT NOT NULL,
            starts_at TEXT NOT NULL DEFAULT '',
            expires_at TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE meeting_members (
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            user_id TEXT NOT NULL REFERENCES users(user_id),
            PRIMARY KEY (meeting_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX members_by_user ON meeting_members(user_id);
        CREATE TABLE documents (
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            manifest BLOB NOT NULL,
            published_by TEXT NOT NULL,
            published_at TEXT NOT NULL,
            withdrawn_at TEXT,
            PRIMARY KEY (meeting_id, document_id, version)
        );
        CREATE TABLE uploads (
            transfer_key TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            manifest BLOB NOT NULL,
            device_id TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE key_envelopes (
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            device_id TEXT NOT NULL REFERENCES devices(device_id),
            epoch INTEGER NOT NULL,
            envelope BLOB NOT NULL,
            sealed_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, device_id, epoch)
        );
        CREATE TABLE ops (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            op_id TEXT NOT NULL,
            author_user_id TEXT NOT NULL,
            author_device_id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            page INTEGER NOT NULL,
            visibility TEXT NOT NULL CHECK (visibility IN ('shared', 'private')),
            kind TEXT NOT NULL,
            payload BLOB NOT NULL,
            logged_at TEXT NOT NULL,
            UNIQUE (meeting_id, op_id)
        );
        CREATE INDEX ops_by_meeting ON ops(meeting_id, seq);
        CREATE TABLE receipts (
            meeting_id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            device_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, document_id, version, device_id)
        );
        CREATE TABLE presenter (
            meeting_id TEXT PRIMARY KEY REFERENCES meetings(meeting_id),
            seq INTEGER NOT NULL,
            presenter_user_id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            page INTEGER NOT NULL
        );
        """,
    ),
    (
        (1, 1),
        """
        CREATE TABLE key_envelopes_v11 (
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            device_id TEXT NOT NULL REFERENCES devices(device_id),
            purpose TEXT NOT NULL DEFAULT 'meeting' CHECK (purpose IN ('meeting', 'private')),
            epoch INTEGER NOT NULL,
            envelope BLOB NOT NULL,
            sealed_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, device_id, purpose, epoch)
        );
        INSERT INTO key_envelopes_v11 (meeting_id, device_id, purpose, epoch, envelope, sealed_by,
                                       created_at)
            SELECT meeting_id, device_id, 'meeting', epoch, envelope, sealed_by, created_at
            FROM key_envelopes;
        DROP TABLE key_envelopes;
        ALTER TABLE key_envelopes_v11 RENAME TO key_envelopes;
        """,
    ),
    (
        # Protocol 1.3 (issue #8). Invitations signed on the administrator's device: the
        # relay keeps what it needs to check a code proof (code_key) and to serve the invitation
        # to the invitee and, with the device's claim, to the certifying administrator.
        (1, 2),
        """
        CREATE TABLE invitations (
            invitation_id TEXT PRIMARY KEY,
            code_key BLOB NOT NULL UNIQUE,
            org_id TEXT NOT NULL REFERENCES orgs(org_id),
            user_id TEXT NOT NULL REFERENCES users(user_id),
            role TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            invitation BLOB NOT NULL,
            issuer_certificate BLOB NOT NULL,
            created_at TEXT NOT NULL,
            redeemed_at TEXT,
            redeemed_by TEXT
        );
        ALTER TABLE devices ADD COLUMN claim BLOB NOT NULL DEFAULT x'';
        ALTER TABLE devices ADD COLUMN invitation_id TEXT REFERENCES invitations(invitation_id);

        -- Protocol 1.3 (issue #8): the signed objects the relay keeps for its clients. It
        -- checks them for service only (who may send them, versions only grow) and every client
        -- verifies them again against its own root fingerprint.
        CREATE TABLE epoch_records (
            meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
            epoch INTEGER NOT NULL,
            record BLOB NOT NULL,
            body BLOB NOT NULL,
            signer_certificate BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, epoch)
        );
        CREATE TABLE rosters (
            meeting_id TEXT PRIMARY KEY REFERENCES meetings(meeting_id),
            version INTEGER NOT NULL,
            roster BLOB NOT NULL,
            signer_certificate BLOB NOT NULL,
            created_at TEXT NOT NULL
        );

        -- 1.2 "recovery boxes": one opaque box per user, sealed under the user's recovery code
        -- (server/store/recovery.py). The relay keeps only the newest version.
        CREATE TABLE recovery_boxes (
            user_id TEXT PRIMARY KEY REFERENCES users(user_id),
            version INTEGER NOT NULL CHECK (version >= 1),
            box BLOB NOT NULL,
            put_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- trustops: signed, chained annotation ops. header/signature are the author's signed op
        -- split in two (fetch_ops may leave the signature out), counter/op_sha256 the chain.
        ALTER TABLE ops ADD COLUMN header BLOB NOT NULL DEFAULT x'';
        ALTER TABLE ops ADD COLUMN signature BLOB NOT NULL DEFAULT x'';
        ALTER TABLE ops ADD COLUMN counter INTEGER;
        ALTER TABLE ops ADD COLUMN op_sha256 TEXT NOT NULL DEFAULT '';
        CREATE INDEX ops_by_stream ON ops(meeting_id, author_device_id, visibility, counter)
            WHERE counter IS NOT NULL;
        """,
    ),
    (
        # Protocol 1.5 (issue #9, the clerk's desk): the receiving device's signed receipt
        # (``FMRC``), kept as sent and returned to the clerk, who verifies it. Empty for
        # receipts of older clients.
        (1, 3),
        """
        ALTER TABLE receipts ADD COLUMN signed BLOB NOT NULL DEFAULT x'';
        """,
    ),
)

CURRENT: Final = SCHEMA[-1][0]
