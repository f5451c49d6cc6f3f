"""Data safety on the clinic's server (issue 19, items 7 and 8): the desk role does what a desk
does, and the audit chain is keyed.

On PostgreSQL (SQLite registries are unchanged by this revision; their key is a file, see
`desktop/store/auditkey.py`):

- `audit_key`: one random 32-byte key (pgcrypto), readable by the owner only. Every audit row
  from `audit.keyed_from` on is chained with HMAC-SHA256 under it instead of plain sha256;
  earlier rows keep their plain links (verified as before).
- Functions owned by the owner role, SECURITY DEFINER with a pinned search_path: the audit append
  (`polyclinic_audit_append`: the only way a desk adds an audit row; it chains it and moves the
  head), the check of the keyed rows (`polyclinic_audit_broken`), sign-in with its lockout and
  the account changes (each checks the acting user's password digest — scrypt computed at the
  desk with the account's salt — and role on the server), and the removal of a card's document
  mirror rows and of an undone merge's alias rows (the only deletes a desk's work needs).
- A trigger on `setting` lets only the owner (or its SECURITY DEFINER functions) write the
  chain's head and `audit.keyed_from`.
- Every desk role (every role granted rights on `patient` other than the owner): no DELETE or
  TRUNCATE on any table, no INSERT/UPDATE on `audit_log` and `app_user`, `app_user`'s
  non-secret columns only (not `password_hash`), nothing on `audit_key`.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# kept equal to desktop/store/backend.py and passwords.py (a frozen copy: migrations do not
# import the application)
MAX_FAILURES = 5
LOCKOUT_MINUTES = 5

_DESK_ROLES = """
    SELECT DISTINCT grantee FROM information_schema.table_privileges
    WHERE table_schema = 'public' AND table_name = 'patient'
      AND grantee NOT IN (current_user, 'PUBLIC')
"""

USER_COLUMNS = "id, login, full_name, role, salt, active, created_at"


def _locks() -> tuple[int, int]:
    import zlib

    return zlib.crc32(b"polyclinic-audit"), zlib.crc32(b"polyclinic-accounts")


def desk_sql(desk: str) -> str:
    """What a desk role may do, on top of the grants an earlier version gave it."""
    return f"""
        REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM {desk};
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM {desk};
        REVOKE ALL ON audit_key FROM {desk};
        REVOKE ALL ON app_user FROM {desk};
        GRANT SELECT ({USER_COLUMNS}) ON app_user TO {desk};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE DELETE, TRUNCATE ON TABLES FROM {desk};
    """


def functions_sql() -> str:
    audit_lock, accounts_lock = _locks()
    definer = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
    zeros = "repeat('0', 64)"
    return f"""
CREATE OR REPLACE FUNCTION polyclinic_audit_link(p_previous text, p_at text, p_user text,
    p_action text, p_object text, p_details text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT encode(hmac(convert_to(concat_ws(chr(31), p_previous, p_at, p_user, p_action, p_object,
                                          p_details), 'UTF8'),
                     (SELECT key FROM audit_key WHERE id = 1), 'sha256'), 'hex')
$f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_audit_write(p_at text, p_user text, p_action text,
    p_object text, p_details text) RETURNS bigint {definer} AS $f$
DECLARE v_head text; v_prev text; v_hash text; v_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock({audit_lock});
  SELECT value INTO v_head FROM setting WHERE key = 'audit.head' FOR UPDATE;
  v_prev := COALESCE(NULLIF(split_part(COALESCE(v_head, ''), ':', 2), ''), {zeros});
  v_hash := polyclinic_audit_link(v_prev, p_at, p_user, p_action, p_object, p_details);
  INSERT INTO audit_log (at, "user", action, object, details, hash)
    VALUES (p_at, p_user, p_action, p_object, p_details, v_hash) RETURNING id INTO v_id;
  INSERT INTO setting (key, value) VALUES ('audit.head', v_id || ':' || v_hash)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  RETURN v_id;
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_audit_append(p_at text, p_user text, p_action text,
    p_object text, p_details text) RETURNS bigint {definer} AS $f$
BEGIN
  -- the entries of accounts and sign-ins come from the account functions only: a desk that
  -- appended a 'login' of its own would reset an account's run of failures (the lockout)
  IF p_object LIKE 'user:%' OR p_action IN ('login', 'login_failed', 'account_locked',
                                            'login_refused') THEN
    RAISE EXCEPTION 'polyclinic:account_entry' USING ERRCODE = '42501';
  END IF;
  RETURN polyclinic_audit_write(p_at, p_user, p_action, p_object, p_details);
END $f$;
--;;
CREATE OR REPLACE FUNCTION polyclinic_audit_broken() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT id FROM (SELECT id, hash, at, "user", action, object, details,
                         lag(hash) OVER (ORDER BY id) AS prev FROM audit_log) t
  WHERE id >= COALESCE((SELECT value::bigint FROM setting WHERE key = 'audit.keyed_from'), 1)
    AND hash IS DISTINCT FROM polyclinic_audit_link(COALESCE(prev, {zeros}), at, "user", action,
                                                    object, details)
  ORDER BY id
$f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_setting_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
BEGIN
  IF ((TG_OP <> 'INSERT' AND OLD.key IN ('audit.head', 'audit.keyed_from'))
      OR (TG_OP <> 'DELETE' AND NEW.key IN ('audit.head', 'audit.keyed_from')))
     AND NOT pg_has_role(current_user,
                         (SELECT relowner FROM pg_class WHERE oid = 'setting'::regclass),
                         'MEMBER') THEN
    RAISE EXCEPTION 'polyclinic:audit_head' USING ERRCODE = '42501';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $f$;
--;;

DROP TRIGGER IF EXISTS setting_audit_guard ON setting;
--;;
CREATE TRIGGER setting_audit_guard BEFORE INSERT OR UPDATE OR DELETE ON setting
  FOR EACH ROW EXECUTE FUNCTION polyclinic_setting_guard();
--;;

CREATE OR REPLACE FUNCTION polyclinic_digest_ok(p_login text, p_digest text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT p_digest IS NOT NULL AND EXISTS (
    SELECT 1 FROM app_user WHERE login = p_login AND active
      AND (CASE WHEN password_hash LIKE 'scrypt$%' THEN split_part(password_hash, '$', 5)
                ELSE password_hash END) = p_digest)
$f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_password_params(p_login text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN password_hash LIKE 'scrypt$%'
              THEN regexp_replace(password_hash, '\\$[^$]*$', '') ELSE '' END
  FROM app_user WHERE login = p_login
$f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_require_admin(p_actor text, p_digest text) RETURNS void
{definer} AS $f$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM app_user WHERE login = p_actor AND active AND role = 'admin') THEN
    RAISE EXCEPTION 'polyclinic:not_admin' USING ERRCODE = '42501';
  END IF;
  IF NOT polyclinic_digest_ok(p_actor, p_digest) THEN
    RAISE EXCEPTION 'polyclinic:not_signed_in' USING ERRCODE = '42501';
  END IF;
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_sign_in(p_login text, p_digest text, p_at text,
    p_until text, p_new_hash text, p_new_salt text, p_count boolean) RETURNS text
{definer} AS $f$
DECLARE v_action text; v_details text; v_until text; v_known boolean; v_run integer;
BEGIN
  IF p_until::timestamptz <> p_at::timestamptz + interval '{LOCKOUT_MINUTES} minutes' THEN
    RAISE EXCEPTION 'polyclinic:bad_lockout' USING ERRCODE = '22023';
  END IF;
  SELECT action, details INTO v_action, v_details FROM audit_log
    WHERE object = 'user:' || p_login AND action IN ('login', 'login_failed', 'account_locked')
    ORDER BY id DESC LIMIT 1;
  IF v_action = 'account_locked' THEN
    v_until := v_details::json ->> 'until';
    IF v_until IS NOT NULL AND v_until::timestamptz > p_at::timestamptz THEN
      PERFORM polyclinic_audit_write(p_at, p_login, 'login_refused', 'user:' || p_login,
                                      '{{"locked_until": ' || to_json(v_until)::text || '}}');
      RETURN 'locked ' || v_until;
    END IF;
  END IF;
  v_known := EXISTS (SELECT 1 FROM app_user WHERE login = p_login);
  IF polyclinic_digest_ok(p_login, p_digest) THEN
    IF p_count THEN
      PERFORM polyclinic_audit_write(p_at, p_login, 'login', 'user:' || p_login, '{{}}');
    END IF;
    IF p_new_hash IS NOT NULL THEN
      UPDATE app_user SET password_hash = p_new_hash, salt = p_new_salt WHERE login = p_login;
    END IF;
    RETURN 'ok';
  END IF;
  PERFORM polyclinic_audit_write(p_at, CASE WHEN v_known THEN p_login ELSE '?' END,
                                  'login_failed',
                                  CASE WHEN v_known THEN 'user:' || p_login ELSE 'user:?' END,
                                  '{{}}');
  IF v_known THEN
    SELECT count(*) INTO v_run FROM (
      SELECT action FROM audit_log WHERE object = 'user:' || p_login
        AND action IN ('login', 'login_failed', 'account_locked')
      ORDER BY id DESC LIMIT {MAX_FAILURES}) t WHERE action = 'login_failed';
    IF v_run >= {MAX_FAILURES} THEN
      PERFORM polyclinic_audit_write(p_at, p_login, 'account_locked', 'user:' || p_login,
        '{{"failures": {MAX_FAILURES}, "until": ' || to_json(p_until)::text || '}}');
    END IF;
  END IF;
  RETURN 'failed';
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_create_user(p_actor text, p_digest text, p_login text,
    p_full_name text, p_role text, p_hash text, p_salt text, p_at text) RETURNS bigint
{definer} AS $f$
DECLARE v_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock({accounts_lock});
  IF p_actor IS NULL THEN
    IF p_role <> 'admin' OR EXISTS (SELECT 1 FROM app_user WHERE role = 'admin') THEN
      RAISE EXCEPTION 'polyclinic:admin_only' USING ERRCODE = '42501';
    END IF;
  ELSE
    PERFORM polyclinic_require_admin(p_actor, p_digest);
  END IF;
  IF EXISTS (SELECT 1 FROM app_user WHERE login = p_login) THEN
    RAISE EXCEPTION 'polyclinic:login_taken' USING ERRCODE = 'P0001';
  END IF;
  INSERT INTO app_user (login, full_name, role, password_hash, salt, active, created_at)
    VALUES (p_login, p_full_name, p_role, p_hash, p_salt, true, p_at) RETURNING id INTO v_id;
  PERFORM polyclinic_audit_write(p_at, COALESCE(p_actor, p_login), 'create', 'user:' || p_login,
                                  '{{"role": ' || to_json(p_role)::text || '}}');
  RETURN v_id;
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_set_user_active(p_actor text, p_digest text,
    p_login text, p_active boolean, p_at text) RETURNS void {definer} AS $f$
DECLARE v_role text; v_was boolean;
BEGIN
  PERFORM pg_advisory_xact_lock({accounts_lock});
  PERFORM polyclinic_require_admin(p_actor, p_digest);
  SELECT role, active INTO v_role, v_was FROM app_user WHERE login = p_login FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'polyclinic:no_user' USING ERRCODE = 'P0002';
  END IF;
  IF NOT p_active AND v_role = 'admin' AND v_was AND NOT EXISTS (
      SELECT 1 FROM app_user WHERE role = 'admin' AND active AND login <> p_login) THEN
    RAISE EXCEPTION 'polyclinic:last_admin' USING ERRCODE = 'P0001';
  END IF;
  UPDATE app_user SET active = p_active WHERE login = p_login;
  PERFORM polyclinic_audit_write(p_at, p_actor, 'update', 'user:' || p_login,
                                  '{{"active": ' || to_json(p_active)::text || '}}');
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_set_password(p_actor text, p_digest text, p_login text,
    p_hash text, p_salt text, p_at text) RETURNS void {definer} AS $f$
BEGIN
  IF p_actor = p_login THEN
    IF NOT polyclinic_digest_ok(p_actor, p_digest) THEN
      RAISE EXCEPTION 'polyclinic:not_signed_in' USING ERRCODE = '42501';
    END IF;
  ELSE
    PERFORM polyclinic_require_admin(p_actor, p_digest);
  END IF;
  UPDATE app_user SET password_hash = p_hash, salt = p_salt WHERE login = p_login;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'polyclinic:no_user' USING ERRCODE = 'P0002';
  END IF;
  PERFORM polyclinic_audit_write(p_at, p_actor, 'update', 'user:' || p_login,
                                  '{{"password": "changed"}}');
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_clear_documents(p_patient bigint) RETURNS void
{definer} AS $f$
BEGIN
  DELETE FROM patient_document WHERE patient_id = p_patient;
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_drop_document(p_id bigint) RETURNS void
{definer} AS $f$
BEGIN
  DELETE FROM patient_document WHERE id = p_id;
END $f$;
--;;

CREATE OR REPLACE FUNCTION polyclinic_unmerge_rows(p_merge bigint) RETURNS void
{definer} AS $f$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM patient_merge WHERE id = p_merge AND status = 'merged') THEN
    RAISE EXCEPTION 'polyclinic:no_merge' USING ERRCODE = 'P0002';
  END IF;
  DELETE FROM patient_alias WHERE merge_id = p_merge;
  DELETE FROM export_correction WHERE merge_id = p_merge;
END $f$;
--;;

REVOKE ALL ON FUNCTION polyclinic_audit_link(text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION polyclinic_digest_ok(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION polyclinic_audit_write(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION polyclinic_require_admin(text, text) FROM PUBLIC;
"""


PRIVATE_FUNCTIONS = ("polyclinic_audit_link(text, text, text, text, text, text)",
                     "polyclinic_audit_write(text, text, text, text, text)",
                     "polyclinic_digest_ok(text, text)", "polyclinic_require_admin(text, text)")


def statements(sql: str) -> list[str]:
    """The statements of `sql` one by one (function bodies end at `--;;`, others at `;`)."""
    out = []
    for chunk in sql.split("--;;"):
        chunk = chunk.strip()
        if "$f$" in chunk:
            out.append(chunk)
        else:
            out.extend(s.strip() for s in chunk.split(";") if s.strip())
    return out


def _owner_runs_it() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and bind.exec_driver_sql(
        "SELECT tableowner = current_user FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename = 'patient'").scalar() is True


def upgrade() -> None:
    if not _owner_runs_it():
        return
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    op.execute("CREATE TABLE audit_key (id integer PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)")
    op.execute("INSERT INTO audit_key VALUES (1, gen_random_bytes(32))")
    op.execute("REVOKE ALL ON audit_key FROM PUBLIC")
    # the registry's identity: a copy of it moved into a file finds its key under this name
    op.execute("INSERT INTO setting (key, value) SELECT 'registry.id', "
               "encode(gen_random_bytes(16), 'hex') WHERE NOT EXISTS "
               "(SELECT 1 FROM setting WHERE key = 'registry.id')")
    op.execute("INSERT INTO setting (key, value) SELECT 'audit.keyed_from', "
               "(COALESCE(MAX(id), 0) + 1)::text FROM audit_log")
    for statement in statements(functions_sql()):
        op.execute(statement)
    for (desk,) in bind.exec_driver_sql(_DESK_ROLES).all():
        for statement in statements(desk_sql('"' + desk.replace('"', '""') + '"')):
            op.execute(statement)


def downgrade() -> None:
    if not _owner_runs_it():
        return
    bind = op.get_bind()
    for (desk,) in bind.exec_driver_sql(_DESK_ROLES).all():
        quoted = '"' + desk.replace('"', '""') + '"'
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON app_user TO {quoted}; "
                   f"GRANT INSERT ON audit_log TO {quoted}; "
                   f"GRANT DELETE ON patient_document TO {quoted}")
    op.execute("DROP TRIGGER IF EXISTS setting_audit_guard ON setting")
    for name in ("polyclinic_setting_guard()", "polyclinic_audit_append(text, text, text, text, text)",
                 "polyclinic_audit_broken()", "polyclinic_password_params(text)",
                 "polyclinic_sign_in(text, text, text, text, text, text, boolean)",
                 "polyclinic_create_user(text, text, text, text, text, text, text, text)",
                 "polyclinic_set_user_active(text, text, text, boolean, text)",
                 "polyclinic_set_password(text, text, text, text, text, text)",
                 "polyclinic_clear_documents(bigint)", "polyclinic_drop_document(bigint)",
                 "polyclinic_unmerge_rows(bigint)", *PRIVATE_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.execute("DELETE FROM setting WHERE key IN ('audit.keyed_from', 'registry.id')")
    op.execute("DROP TABLE IF EXISTS audit_key")
