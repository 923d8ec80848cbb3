CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    email         varchar(255) NOT NULL UNIQUE,
    full_name     text NOT NULL,
    role          varchar(20) NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    phone         varchar(40),
    last_login_ip inet,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz,
    deleted_at    timestamptz
);
CREATE INDEX users_account_id_idx ON users (account_id);
