-- Ended grants are purged after tokens.endedGrantRetentionSeconds: find the revoked ones by time
-- (expired ones use grants_expires).
CREATE INDEX grants_revoked ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
