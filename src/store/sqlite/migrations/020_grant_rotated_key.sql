-- 020: the retry key of the refresh that last rotated a grant's family (a SHA-256 of what the
-- client sent, never the key itself), so that the client retrying that same refresh, whose answer
-- it never got (a timeout on an overloaded node, a node killed after the commit), is answered with
-- the current tokens however late the retry comes, while the same spent token presented without
-- that key (a copy) still revokes the family past tokens.refreshReuseGraceSeconds.
-- NULL when the rotation carried no key (older clients) or the family has not rotated.
ALTER TABLE grants ADD COLUMN rotated_key TEXT;
