-- The migration ledger (schema sessionkeeper_meta, made by `sessionkeeper migrate` itself) belongs to
-- sessionkeeper_owner, like everything else, so a login that is a member of the owner role and not a superuser can
-- run migrate: it reads and writes the ledger through that membership.
--
-- migrate runs this file as sessionkeeper_owner (SET LOCAL ROLE, from 0007 on); giving away objects the owner role
-- does not own yet needs the migrating login itself, hence RESET ROLE for this one file.

RESET ROLE;

ALTER SCHEMA sessionkeeper_meta OWNER TO sessionkeeper_owner;
ALTER TABLE sessionkeeper_meta.migrations OWNER TO sessionkeeper_owner;
ALTER TABLE sessionkeeper_meta.repeatables OWNER TO sessionkeeper_owner;

REVOKE ALL ON SCHEMA sessionkeeper_meta FROM PUBLIC; -- noqa: CP02
