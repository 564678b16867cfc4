-- 001: the first records. Times are epoch milliseconds (BIGINT); JSON columns hold canonical JSON
-- text, kept as TEXT so what was written (and hashed) reads back byte for byte.

CREATE TABLE audit (
  seq        BIGINT PRIMARY KEY,
  at         BIGINT NOT NULL,
  actor      TEXT   NOT NULL,
  action     TEXT   NOT NULL,
  target     TEXT   NOT NULL,
  details    TEXT   NOT NULL,
  result     TEXT   NOT NULL,
  prev_hash  TEXT   NOT NULL,
  hash       TEXT   NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE operators (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL,
  token_hash  TEXT NOT NULL,
  totp_secret TEXT,
  created_at  BIGINT NOT NULL,
  revoked_at  BIGINT
);

CREATE TABLE commands (
  id           TEXT PRIMARY KEY,
  action       TEXT NOT NULL,
  selector     TEXT NOT NULL,
  reason       TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  state        TEXT NOT NULL,
  plan         TEXT NOT NULL,
  progress     TEXT NOT NULL,
  finished_at  BIGINT
);

CREATE TABLE disruptions (
  id             TEXT PRIMARY KEY,
  session_id     TEXT NOT NULL,
  player_id      TEXT NOT NULL,
  cause          TEXT NOT NULL,
  command_id     TEXT,
  incident_id    TEXT,
  at             BIGINT NOT NULL,
  snapshot       TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  outcome_reason TEXT
);
CREATE INDEX disruptions_command ON disruptions (command_id);
CREATE INDEX disruptions_player ON disruptions (player_id);
CREATE INDEX disruptions_at ON disruptions (at);

CREATE TABLE grants (
  session_id     TEXT PRIMARY KEY,
  player_id      TEXT NOT NULL,
  family_id      TEXT NOT NULL UNIQUE,
  generation     BIGINT NOT NULL,
  snapshot       TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  revoked_at     BIGINT,
  revoked_reason TEXT
);
CREATE INDEX grants_expires ON grants (expires_at);

CREATE TABLE signing_keys (
  kid         TEXT PRIMARY KEY,
  private_pem TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
