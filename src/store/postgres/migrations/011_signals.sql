-- 011: signals (issue 15): what detectors, Alertmanager, Sentry and player reports raise. A
-- signal's identity is its fingerprint (detector + dimensions, or the sender's own): the partial
-- unique index keeps at most one open signal per fingerprint, so a second raise while one is
-- open updates it instead of paging twice, even when two nodes raise at once. JSON as text.
CREATE TABLE signals (
  id           TEXT PRIMARY KEY,
  source       TEXT    NOT NULL,
  detector     TEXT    NOT NULL,
  severity     TEXT    NOT NULL,
  title        TEXT    NOT NULL,
  dimensions   TEXT    NOT NULL,
  fingerprint  TEXT    NOT NULL,
  onset_at     BIGINT  NOT NULL,
  started_at   BIGINT  NOT NULL,
  updated_at   BIGINT  NOT NULL,
  resolved_at  BIGINT,
  evidence     TEXT    NOT NULL,
  localisation TEXT    NOT NULL,
  incident_id  TEXT
);
CREATE UNIQUE INDEX signals_open ON signals (fingerprint) WHERE resolved_at IS NULL;
CREATE INDEX signals_started ON signals (started_at);
