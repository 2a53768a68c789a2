-- Exam records beyond the foundation: credits to graduate, every score of an
-- exam session (failed ones too, for 当次成绩查询), and exam arrangements (准考证).

ALTER TABLE specialties ADD COLUMN graduation_credits BIGINT;

-- One score of one course in one exam session (考次, year and month).
CREATE TABLE session_scores (
    ticket          TEXT NOT NULL,
    course_code     TEXT NOT NULL,
    exam_year       BIGINT NOT NULL,
    exam_month      BIGINT NOT NULL,
    score           TEXT NOT NULL,
    passed          BIGINT NOT NULL,
    PRIMARY KEY (ticket, exam_year, exam_month, course_code)
);
CREATE INDEX session_scores_session ON session_scores (exam_year, exam_month);

-- Where and when a candidate sits one course of an exam session.
CREATE TABLE exam_arrangements (
    ticket          TEXT NOT NULL,
    exam_year       BIGINT NOT NULL,
    exam_month      BIGINT NOT NULL,
    course_code     TEXT NOT NULL,
    exam_date       TEXT NOT NULL,
    exam_time       TEXT NOT NULL,
    venue           TEXT NOT NULL,
    room            TEXT NOT NULL,
    seat            TEXT NOT NULL,
    PRIMARY KEY (ticket, exam_year, exam_month, course_code)
);
