-- Roles for the WORM audit store on PostgreSQL (run once, as a superuser).
--
--   audit_owner   owns the schema and the tables; migrations run as this role.
--                 Nobody logs in as it during normal operation.
--   audit_writer  the role the gateway connects as: INSERT and SELECT only.
--   audit_reader  reporting / regulator read access: SELECT only.
--
-- Replace the passwords (or use certificate / peer authentication).
-- psql -v owner_password=... -v writer_password=... -v reader_password=... -f roles.sql

CREATE ROLE audit_owner  LOGIN PASSWORD :'owner_password';
CREATE ROLE audit_writer LOGIN PASSWORD :'writer_password';
CREATE ROLE audit_reader LOGIN PASSWORD :'reader_password';

CREATE DATABASE audit OWNER audit_owner;
\connect audit

-- Nobody but the owner creates objects in the audit schema.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA audit AUTHORIZATION audit_owner;
ALTER ROLE audit_writer IN DATABASE audit SET search_path = audit;
ALTER ROLE audit_reader IN DATABASE audit SET search_path = audit;
ALTER ROLE audit_owner  IN DATABASE audit SET search_path = audit;
-- Durable commits whatever the server default (the store also sets this per session).
ALTER ROLE audit_writer IN DATABASE audit SET synchronous_commit = on;
