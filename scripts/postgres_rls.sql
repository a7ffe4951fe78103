-- Row-level security on the patient-level tables (PostgreSQL): defence in depth.
--
-- The dashboard already enforces access in data_access (data_access/access.py). This script makes
-- the database refuse too: the app connects as a role that owns nothing and may only SELECT
-- (and append to audit_log), and every patient-level table shows that role only the rows of
-- patients connected to the viewer's organisations. The app names the viewer in each
-- transaction (data_access/rls.py):
--     SELECT set_config('pcd.viewer_role', 'lead_provider', true),
--            set_config('pcd.viewer_home', 'collaborative:IMPACT', true);   -- true = SET LOCAL
-- With no setting, the app role sees no patient-level rows at all (fails closed).
--
-- Rows visible to a viewer whose role sees aggregates only within its home (commissioner,
-- lead_provider, crg, viewer): wards within the home; collaboratives within the home; patients
-- with a stay, referral or restrictive intervention there, or whose home locality belongs to
-- one of those collaboratives (with their whole hospital history, which length-of-stay and
-- readmission figures need). national and provider roles see aggregates everywhere, so every row.
--
-- Run once per reporting schema, as the owner of the tables, with search_path set to that
-- schema. The helper functions are SECURITY DEFINER: their owner must bypass row-level security
-- (a superuser, or a role with BYPASSRLS), or the policies would filter their own look-ups.
--     psql "postgresql://owner@host/reporting" -f scripts/postgres_rls.sql
--     python -m data_access.rls --url postgresql+psycopg://owner@host/reporting --role pcd_app
-- then give the app role a password and log in with it:
--     ALTER ROLE pcd_app LOGIN PASSWORD '...';
-- FORCE ROW LEVEL SECURITY applies the policies to the tables' owner too: an app that connects
-- as the owner by mistake sees no patient rows. Loaders (the demo builder, bulk loads) connect as
-- a role with BYPASSRLS (or a superuser). Re-running the script is safe (it replaces functions
-- and policies).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcd_app') THEN
        CREATE ROLE pcd_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO pcd_app', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO pcd_app', current_schema());
    EXECUTE format('GRANT INSERT ON %I.audit_log, %I.load_log TO pcd_app', current_schema(), current_schema());
    -- The finance import page (data_access/finance_import.py) replaces ledger months.
    EXECUTE format('GRANT INSERT, DELETE ON %I.finance_ledger TO pcd_app', current_schema());
    -- The Meeting packs page (docs/governance.md) writes narratives, actions, decisions and published packs.
    EXECUTE format('GRANT INSERT ON %I.pack_narrative, %I.governance_decision, %I.published_pack TO pcd_app',
                   current_schema(), current_schema(), current_schema());
    EXECUTE format('GRANT INSERT, UPDATE ON %I.governance_action TO pcd_app', current_schema());
END $$;

CREATE OR REPLACE FUNCTION pcd_viewer_sees_all() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT coalesce(current_setting('pcd.viewer_role', true), '') IN ('national', 'provider')
$fn$;

CREATE OR REPLACE FUNCTION pcd_viewer_homes() RETURNS TABLE (home_level text, home_code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT split_part(h, ':', 1), substr(h, strpos(h, ':') + 1)
    FROM unnest(string_to_array(nullif(current_setting('pcd.viewer_home', true), ''), ',')) AS h
    WHERE coalesce(current_setting('pcd.viewer_role', true), '') IN ('commissioner', 'lead_provider', 'crg', 'viewer')
$fn$;

CREATE OR REPLACE FUNCTION pcd_visible_wards() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT w.ward_code
    FROM ward w
    JOIN unit u ON u.unit_code = w.unit_code
    JOIN collaborative c ON c.collaborative_id = w.collaborative_id
    JOIN pcd_viewer_homes() h ON
        h.home_level = 'national'
        OR (h.home_level = 'region' AND c.region_code = h.home_code)
        OR (h.home_level = 'collaborative' AND w.collaborative_id = h.home_code)
        OR (h.home_level = 'provider' AND u.provider_code = h.home_code)
        OR (h.home_level = 'unit' AND w.unit_code = h.home_code)
        OR (h.home_level = 'ward' AND w.ward_code = h.home_code)
$fn$;

CREATE OR REPLACE FUNCTION pcd_visible_collaboratives() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT c.collaborative_id
    FROM collaborative c
    JOIN pcd_viewer_homes() h ON
        h.home_level = 'national'
        OR (h.home_level = 'region' AND c.region_code = h.home_code)
        OR (h.home_level = 'collaborative' AND c.collaborative_id = h.home_code)
$fn$;

CREATE OR REPLACE FUNCTION pcd_visible_patients() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT s.patient_id FROM hospital_spell s JOIN ward_stay ws ON ws.spell_id = s.spell_id
    WHERE ws.ward_code IN (SELECT pcd_visible_wards())
    UNION
    SELECT p.patient_id FROM patient p
    JOIN locality_collaborative lc ON lc.locality_code = p.home_locality_code
    WHERE lc.collaborative_id IN (SELECT pcd_visible_collaboratives())
    UNION
    SELECT r.patient_id FROM referral r
    WHERE r.collaborative_id IN (SELECT pcd_visible_collaboratives())
       OR r.admitted_ward_code IN (SELECT pcd_visible_wards())
    UNION
    SELECT ri.patient_id FROM restrictive_intervention ri WHERE ri.ward_code IN (SELECT pcd_visible_wards())
$fn$;

CREATE OR REPLACE FUNCTION pcd_visible_spells() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT spell_id FROM hospital_spell WHERE patient_id IN (SELECT pcd_visible_patients())
$fn$;

CREATE OR REPLACE FUNCTION pcd_visible_stays() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT ward_stay_id FROM ward_stay WHERE spell_id IN (SELECT pcd_visible_spells())
$fn$;

REVOKE ALL ON FUNCTION pcd_viewer_sees_all(), pcd_viewer_homes(), pcd_visible_wards(), pcd_visible_collaboratives(),
    pcd_visible_patients(), pcd_visible_spells(), pcd_visible_stays() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pcd_viewer_sees_all(), pcd_viewer_homes(), pcd_visible_wards(),
    pcd_visible_collaboratives(), pcd_visible_patients(), pcd_visible_spells(), pcd_visible_stays() TO pcd_app;

ALTER TABLE patient ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON patient;
CREATE POLICY pcd_viewer ON patient FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR patient_id IN (SELECT pcd_visible_patients()));

ALTER TABLE referral ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON referral;
CREATE POLICY pcd_viewer ON referral FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR collaborative_id IN (SELECT pcd_visible_collaboratives())
           OR admitted_ward_code IN (SELECT pcd_visible_wards()));

ALTER TABLE hospital_spell ENABLE ROW LEVEL SECURITY;
ALTER TABLE hospital_spell FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON hospital_spell;
CREATE POLICY pcd_viewer ON hospital_spell FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR patient_id IN (SELECT pcd_visible_patients()));

ALTER TABLE ward_stay ENABLE ROW LEVEL SECURITY;
ALTER TABLE ward_stay FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON ward_stay;
CREATE POLICY pcd_viewer ON ward_stay FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR spell_id IN (SELECT pcd_visible_spells()));

-- The stay facts (docs/facts.md) are the ward stays joined to their spell and patient: the same rows as ward_stay.
ALTER TABLE ward_stay_fact ENABLE ROW LEVEL SECURITY;
ALTER TABLE ward_stay_fact FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON ward_stay_fact;
CREATE POLICY pcd_viewer ON ward_stay_fact FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR spell_id IN (SELECT pcd_visible_spells()));

-- The patients of each month by ward (docs/facts.md): a bed row (restricted = 0) is seen with its patient's stays,
-- an intervention row (restricted = 1) with restrictive_intervention's rows (its ward).
ALTER TABLE patient_month_fact ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_month_fact FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON patient_month_fact;
CREATE POLICY pcd_viewer ON patient_month_fact FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR (restricted = 0 AND patient_id IN (SELECT pcd_visible_patients()))
           OR (restricted = 1 AND ward_code IN (SELECT pcd_visible_wards())));

ALTER TABLE leave_episode ENABLE ROW LEVEL SECURITY;
ALTER TABLE leave_episode FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON leave_episode;
CREATE POLICY pcd_viewer ON leave_episode FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR ward_stay_id IN (SELECT pcd_visible_stays()));

ALTER TABLE restrictive_intervention ENABLE ROW LEVEL SECURITY;
ALTER TABLE restrictive_intervention FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS pcd_viewer ON restrictive_intervention;
CREATE POLICY pcd_viewer ON restrictive_intervention FOR SELECT TO pcd_app
    USING (pcd_viewer_sees_all() OR ward_code IN (SELECT pcd_visible_wards()));
