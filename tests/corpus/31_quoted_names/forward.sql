CREATE TABLE public."Order Notes" ("Order Id" bigint PRIMARY KEY, "Text ✓" text NOT NULL DEFAULT '');
COMMENT ON COLUMN public."Order Notes"."Text ✓" IS 'free text';
