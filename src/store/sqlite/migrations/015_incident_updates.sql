-- What Lifeline told the public about an incident (issue 16, item 5: communication): one row per
-- message, written before it is sent. (incident_id, state_key) is unique: a state already told is
-- never told again, whichever node hears the change.
CREATE TABLE incident_updates (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  state_key   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  body        TEXT NOT NULL,
  regions     TEXT NOT NULL,
  at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX incident_updates_state ON incident_updates (incident_id, state_key);
CREATE INDEX incident_updates_at ON incident_updates (at);
