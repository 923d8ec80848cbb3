-- Written the common way: a volatile default rewrites orders under ACCESS EXCLUSIVE.
ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
