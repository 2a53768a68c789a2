-- The audit log becomes a hash chain. Each entry gets a sequence number (unique,
-- strictly increasing), the link of the entry before it and its own link: an
-- HMAC-SM3 over the entry's canonical bytes, computed by the application
-- (the key never reaches the database).
--
-- Entries written before this migration are numbered here in the order they
-- were written; `audit_head.unsealed` says how many of them still need their
-- links, which the application computes once, at its next start, before any
-- new entry is appended. From then on an entry without a link is a finding.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
-- The candidate an entry is about (the subject may be an application).
ALTER TABLE audit_log ADD COLUMN candidate_id TEXT;

UPDATE audit_log SET seq = (
    SELECT COUNT(*) FROM audit_log AS earlier
    WHERE earlier.at < audit_log.at
       OR (earlier.at = audit_log.at AND earlier.id <= audit_log.id)
);

CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_candidate ON audit_log (candidate_id, at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);

-- The head of the chain: the last entry's number and link. Appending updates
-- this one row first, which on PostgreSQL locks it until the transaction ends,
-- so two nodes can never give out the same number or fork the chain.
CREATE TABLE audit_head (
    id          BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    unsealed    BIGINT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, unsealed)
    SELECT 1, COUNT(*), '0000000000000000000000000000000000000000000000000000000000000000', COUNT(*)
    FROM audit_log;
