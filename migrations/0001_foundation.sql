-- Foundation schema. Portable between SQLite and PostgreSQL: TEXT, BIGINT,
-- application-generated ids, timestamps as microseconds since the Unix epoch (UTC).
-- Personal data columns ending in _enc hold SM4-GCM ciphertext; _idx an HMAC-SM3
-- blind index for equality lookups.

CREATE TABLE candidates (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    id_number_enc   TEXT NOT NULL,
    id_number_idx   TEXT NOT NULL UNIQUE,
    ticket          TEXT UNIQUE,
    name            TEXT NOT NULL,
    gender          TEXT NOT NULL,
    birth_date      TEXT NOT NULL,
    phone_enc       TEXT,
    email_enc       TEXT,
    ethnicity       TEXT,
    household       TEXT,
    education       TEXT,
    occupation      TEXT,
    politics        TEXT,
    city            TEXT NOT NULL,
    county          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    identity_state  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX candidates_county_state ON candidates (county, identity_state);

-- Exam records: who is enrolled, in what, and what they passed.
CREATE TABLE specialties (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    level           TEXT NOT NULL
);

CREATE TABLE courses (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    credits         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    theory_course   TEXT
);

CREATE TABLE exam_candidates (
    ticket            TEXT PRIMARY KEY,
    id_number_enc     TEXT NOT NULL,
    id_number_idx     TEXT NOT NULL,
    name              TEXT NOT NULL,
    gender            TEXT NOT NULL,
    specialty_code    TEXT,
    city              TEXT NOT NULL,
    county            TEXT NOT NULL,
    status            TEXT NOT NULL,
    transfer_in_date  TEXT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX exam_candidates_id_number ON exam_candidates (id_number_idx);

CREATE TABLE results (
    ticket          TEXT NOT NULL,
    course_code     TEXT NOT NULL,
    score           TEXT NOT NULL,
    passed_year     BIGINT NOT NULL,
    passed_month    BIGINT NOT NULL,
    by_exemption    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket, course_code)
);

CREATE TABLE registration_points (
    id              TEXT PRIMARY KEY,
    city            TEXT NOT NULL,
    county          TEXT NOT NULL,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    phone           TEXT NOT NULL
);

CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL,
    city            TEXT,
    point           TEXT,
    totp_secret_enc TEXT,
    totp_last_step  BIGINT NOT NULL DEFAULT 0,
    disabled        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Server-side sessions for pages (cookie) and the API (bearer token). Only a
-- hash of the token is stored.
CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    subject_kind    TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id);

-- Failed logins per login name (existing or not, so the wait reveals nothing).
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE business_windows (
    kind            TEXT PRIMARY KEY,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Staff actions that change data: who, when, from where, what, before and after.
CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    address         TEXT,
    action          TEXT NOT NULL,
    subject         TEXT,
    before_enc      TEXT,
    after_enc       TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
