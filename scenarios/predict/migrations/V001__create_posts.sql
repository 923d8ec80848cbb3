CREATE TABLE authors (
    id integer PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO authors SELECT i, 'author ' || i FROM generate_series(1, 5000) AS i;

CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id integer NOT NULL,
    score integer NOT NULL,
    title text NOT NULL,
    body text NOT NULL
);
