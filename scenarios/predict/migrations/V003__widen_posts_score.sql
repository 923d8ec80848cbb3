-- A type change rewrites posts and rebuilds its indexes under AccessExclusiveLock.
ALTER TABLE posts ALTER COLUMN score TYPE bigint;
