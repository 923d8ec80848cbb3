-- rehearse:approve destructive by="release manager" reason="score widens from integer to bigint; no value changes"
-- A type change rewrites posts and rebuilds its indexes under AccessExclusiveLock.
ALTER TABLE posts ALTER COLUMN score TYPE bigint;
