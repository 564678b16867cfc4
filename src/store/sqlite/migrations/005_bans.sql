-- 005: bans. A lifted ban keeps its row (lifted_at, lifted_by, lift_reason): the history stays
-- beside the audit log. The partial unique index allows one ban in force per player, so two
-- operators banning the same player at once cannot both win.
CREATE TABLE bans (
  id          TEXT PRIMARY KEY,
  player_id   TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  banned_by   TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  lifted_at   INTEGER,
  lifted_by   TEXT,
  lift_reason TEXT
);
CREATE UNIQUE INDEX bans_in_force ON bans (player_id) WHERE lifted_at IS NULL;
