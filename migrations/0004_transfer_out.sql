-- 省际转出 applications, their images, plans of specialties, and notices.

CREATE TABLE plan_courses (
    specialty_code  TEXT NOT NULL,
    course_code     TEXT NOT NULL,
    PRIMARY KEY (specialty_code, course_code)
);

CREATE TABLE transfer_outs (
    id                  TEXT PRIMARY KEY,
    candidate_id        TEXT NOT NULL,
    city                TEXT NOT NULL,
    window_start        BIGINT NOT NULL,
    window_end          BIGINT NOT NULL,
    state               TEXT NOT NULL,
    target_province     TEXT NOT NULL,
    reason              TEXT NOT NULL,
    target_ticket       TEXT NOT NULL,
    target_specialty_name   TEXT,
    target_specialty_code   TEXT,
    target_specialty_level  TEXT,
    correction_note     TEXT,
    decision            TEXT,
    decision_reason     TEXT,
    decided_by          TEXT,
    decided_at          BIGINT,
    created_at          BIGINT NOT NULL,
    submitted_at        BIGINT,
    confirmed_at        BIGINT,
    reminded_days       BIGINT NOT NULL DEFAULT 99,
    rejections          BIGINT NOT NULL DEFAULT 0,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX transfer_outs_candidate ON transfer_outs (candidate_id, window_start);
CREATE INDEX transfer_outs_queue ON transfer_outs (city, state, confirmed_at);
CREATE INDEX transfer_outs_close ON transfer_outs (state, window_end);

-- Images of an application: the four material kinds and the two confirmation photos.
CREATE TABLE transfer_images (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL,
    kind            TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX transfer_images_application ON transfer_images (application_id, kind);

-- Messages to a candidate, shown in the personal center.
CREATE TABLE notices (
    id              TEXT PRIMARY KEY,
    candidate_id    TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notices_candidate ON notices (candidate_id, created_at);
