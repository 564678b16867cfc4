-- After an incident (issue 16 items 6 and 7): compensation grants, one per player and incident
-- (the unique key makes a second run grant nobody twice); the post-mortem's editable parts (the
-- 5-whys, root cause, lessons; when it was written); and its action items.
CREATE TABLE incident_grants (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  player_id   TEXT NOT NULL,
  grant_text  TEXT NOT NULL,
  seconds     BIGINT NOT NULL,
  licence     TEXT NOT NULL,
  region      TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  granted_by  TEXT NOT NULL,
  granted_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX incident_grants_player ON incident_grants (incident_id, player_id);

CREATE TABLE incident_postmortems (
  incident_id TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  written_at  BIGINT,
  updated_at  BIGINT NOT NULL,
  updated_by  TEXT NOT NULL
);

CREATE TABLE incident_actions (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  title       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  due_at      BIGINT NOT NULL,
  status      TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX incident_actions_incident ON incident_actions (incident_id, due_at);
CREATE INDEX incident_actions_due ON incident_actions (status, due_at);
