-- Phone hand-off of the confirmation photos: a short-lived, single-use link shown
-- as a QR code on the computer. Only a hash of the link's token is stored.
CREATE TABLE handoff_links (
    token_hash      TEXT PRIMARY KEY,
    candidate_id    TEXT NOT NULL,
    transfer_id     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX handoff_links_expires ON handoff_links (expires_at);

-- The sweep of unreferenced files looks files up from the rows that use them.
CREATE INDEX identity_photos_file ON identity_photos (file_id);
CREATE INDEX transfer_images_file ON transfer_images (file_id);
