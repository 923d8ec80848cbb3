CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    slug          varchar(64) NOT NULL UNIQUE,
    plan          varchar(20) NOT NULL CHECK (plan IN ('free', 'starter', 'pro', 'enterprise')),
    country       char(2) NOT NULL,
    billing_email varchar(255),
    seats         integer NOT NULL DEFAULT 1 CHECK (seats > 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
