DROP INDEX posts_author_idx;
