-- +goose Up
-- Every saved version of a client's note (issue 14, part 3): its author
-- (the staff account uid) and time, and who sees it: the whole
-- organization's staff, or only the client's coaches, the Owners and the
-- author. clients.note_text stays the current organization note, which
-- the seeds' save-notes replaces. Versions are read newest first by uid
-- (time-ordered) through client_notes_client.
CREATE TABLE client_notes (
    id         {{id}},
    uid        {{bytewise_text}} NOT NULL UNIQUE,
    client_id  {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    author_uid TEXT NOT NULL,
    text       TEXT, -- NULL: the note was cleared
    visibility TEXT NOT NULL, -- 'organization' or 'coaches'
    created_at {{time}} NOT NULL
);
CREATE INDEX client_notes_client ON client_notes (client_id, uid);

-- +goose Down
DROP TABLE client_notes;
