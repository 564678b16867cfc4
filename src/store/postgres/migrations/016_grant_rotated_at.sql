-- 013: when a grant's family last rotated, so that a refresh presenting the generation just
-- before the current one, within the reuse grace (tokens.refreshReuseGraceSeconds), is answered
-- with the current tokens instead of revoking the family: the client that lost the answer of its
-- refresh (a node killed after the rotation committed) retries with the token it still holds.
-- NULL for grants that have not rotated since (no grace for them).
ALTER TABLE grants ADD COLUMN rotated_at BIGINT;
