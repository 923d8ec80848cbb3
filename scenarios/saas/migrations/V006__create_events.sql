CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    user_id     bigint REFERENCES users (id),
    name        varchar(64) NOT NULL,
    properties  jsonb NOT NULL,
    user_agent  text,
    ip          inet,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at);
