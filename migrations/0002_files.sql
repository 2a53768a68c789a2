-- Stored files (uploaded photos and their thumbnails). The objects are written
-- first; a row here means both objects are complete.
CREATE TABLE files (
    id              TEXT PRIMARY KEY,
    object_key      TEXT NOT NULL,
    thumb_key       TEXT NOT NULL,
    byte_size       BIGINT NOT NULL,
    width           BIGINT NOT NULL,
    height          BIGINT NOT NULL,
    sharpness       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
