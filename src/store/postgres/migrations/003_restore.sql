-- 003: paced restore. A disruption joins at most one restore; a released one holds a ticket
-- until it is redeemed (restored) or lapses (expired).

ALTER TABLE disruptions ADD COLUMN restore_id TEXT;
ALTER TABLE disruptions ADD COLUMN ticket_expires_at BIGINT;
ALTER TABLE disruptions ADD COLUMN settled_at BIGINT;
ALTER TABLE disruptions ADD COLUMN restored_session_id TEXT;
CREATE INDEX disruptions_restore ON disruptions (restore_id, outcome, at, id);
CREATE INDEX disruptions_tickets ON disruptions (outcome, ticket_expires_at);

CREATE TABLE restores (
  id           TEXT PRIMARY KEY,
  source       TEXT NOT NULL,
  pacing       TEXT NOT NULL,
  thresholds   TEXT NOT NULL,
  state        TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  total        BIGINT NOT NULL,
  released     BIGINT NOT NULL,
  batches      BIGINT NOT NULL,
  pause_reason TEXT
);
CREATE INDEX restores_state ON restores (state);
CREATE INDEX disruptions_session ON disruptions (session_id);
CREATE INDEX grants_player ON grants (player_id, created_at);
