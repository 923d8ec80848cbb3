ALTER TABLE accounts ADD COLUMN status varchar(20) NOT NULL DEFAULT 'active';
