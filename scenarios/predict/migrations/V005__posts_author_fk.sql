SET lock_timeout = '2s';
ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID;
ALTER TABLE posts VALIDATE CONSTRAINT posts_author_fk;
