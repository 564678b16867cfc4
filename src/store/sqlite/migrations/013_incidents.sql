-- Incidents (issue 16): the record, its roles ledger (append-only: a hand-off is a new row), the
-- responders' notes and the commander's corrections of a note's time (also append-only, so the
-- time first written stays). A cause (a breaker trip, a signal) declares at most one incident:
-- the unique cause key decides between nodes. Disruption records name their incident.
CREATE TABLE incidents (
  id              TEXT PRIMARY KEY,
  title           TEXT NOT NULL,
  severity        TEXT NOT NULL,
  severity_reason TEXT NOT NULL,
  status          TEXT NOT NULL,
  declared_by     TEXT NOT NULL,
  cause_key       TEXT,
  started_at      INTEGER NOT NULL,
  detected_at     INTEGER NOT NULL,
  declared_at     INTEGER NOT NULL,
  mitigated_at    INTEGER,
  resolved_at     INTEGER,
  closed_at       INTEGER,
  updated_at      INTEGER NOT NULL,
  phases          TEXT NOT NULL,
  signals         TEXT NOT NULL,
  version         INTEGER NOT NULL
);
CREATE UNIQUE INDEX incidents_cause ON incidents (cause_key);
CREATE INDEX incidents_status ON incidents (status, declared_at);

CREATE TABLE incident_roles (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  role        TEXT NOT NULL,
  operator    TEXT NOT NULL,
  at          INTEGER NOT NULL,
  handed_by   TEXT NOT NULL
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id, at);

CREATE TABLE incident_notes (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  author      TEXT NOT NULL,
  body        TEXT NOT NULL,
  written_at  INTEGER NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX incident_notes_incident ON incident_notes (incident_id, at);

CREATE TABLE incident_note_corrections (
  id           TEXT PRIMARY KEY,
  note_id      TEXT NOT NULL,
  incident_id  TEXT NOT NULL,
  at           INTEGER NOT NULL,
  corrected_by TEXT NOT NULL,
  reason       TEXT NOT NULL,
  corrected_at INTEGER NOT NULL
);
CREATE INDEX incident_note_corrections_incident ON incident_note_corrections (incident_id, corrected_at);

CREATE INDEX disruptions_incident ON disruptions (incident_id, id);
