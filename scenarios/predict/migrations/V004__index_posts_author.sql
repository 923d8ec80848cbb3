-- Built without CONCURRENTLY: writers wait for the whole sort.
CREATE INDEX posts_author_idx ON posts (author_id);
