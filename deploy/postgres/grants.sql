-- Grants for the audit store, run as audit_owner AFTER the migrations
-- (open_sql_audit_log(..., owner_url=...) does the writer grants itself;
-- this file is the same thing for operators who migrate by hand).
\connect audit
SET search_path = audit;

GRANT USAGE ON SCHEMA audit TO audit_writer, audit_reader;
GRANT SELECT, INSERT ON audit_log, audit_merkle_node TO audit_writer;
GRANT SELECT ON audit_meta, audit_schema_version TO audit_writer;
GRANT SELECT ON audit_log, audit_merkle_node, audit_meta, audit_schema_version TO audit_reader;
-- No UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER privilege for anyone but the owner,
-- and the owner is refused UPDATE, DELETE and TRUNCATE by the triggers below.
