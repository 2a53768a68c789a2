-- Identity verification. A candidate's current photo of each kind, for the
-- account's verification ('identity') or a password recovery ('recovery').
CREATE TABLE identity_photos (
    candidate_id    TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    PRIMARY KEY (candidate_id, purpose, kind)
);

-- The separate consent to processing face images, given before the first photo.
CREATE TABLE identity_consents (
    candidate_id    TEXT PRIMARY KEY,
    accepted_at     BIGINT NOT NULL
);

-- Every verification run and every staff decision, newest last. `outcome`:
-- passed, failed, review (automated runs, counted against the daily limit),
-- approved, rejected, in_person (staff). `findings` is a JSON array of Chinese
-- texts (reasons, measures, the staff member's reason); never personal data.
CREATE TABLE identity_attempts (
    id              TEXT PRIMARY KEY,
    candidate_id    TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    at              BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    findings        TEXT NOT NULL
);
CREATE INDEX identity_attempts_candidate ON identity_attempts (candidate_id, at);
