-- The province admin's edits of the province lists, laid over the province
-- file: a row renames or disables an entry of the file, or adds one the file
-- lacks. `list` is reason (转出原因), target (target provinces open), city or
-- county; `parent` is the city of a county. Entries are never deleted, so a
-- code an application or candidate uses always keeps its name.
CREATE TABLE list_entries (
    list            TEXT NOT NULL,
    code            TEXT NOT NULL,
    parent          TEXT,
    name            TEXT NOT NULL,
    enabled         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (list, code)
);

-- One row whose number goes up with every list edit, so each node sees at
-- once that its cached lists are stale.
CREATE TABLE list_version (
    id              BIGINT PRIMARY KEY,
    version         BIGINT NOT NULL
);
INSERT INTO list_version (id, version) VALUES (1, 0);

-- 通知公告 (kind notice) and 报考简章 (kind guide): Markdown as written and the
-- sanitised HTML shown. A NULL publish time is a withdrawn announcement; a
-- future one is shown from then on.
CREATE TABLE announcements (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body_markdown   TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    publish_at      BIGINT,
    author          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX announcements_kind_publish ON announcements (kind, publish_at);
