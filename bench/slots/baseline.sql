-- The baseline of bench/slot_bench.sh: seed 004's appointments table and its
-- claim_slot_atomic (section 3) in PL/pgSQL, with the INSERT the seed left as
-- "INSERT INTO appointments (...) VALUES (...)" filled in.
--
-- The table has the seed's columns and no exclusion constraint.  One index
-- the seed does not list, on (org_id, scheduled_at), so that the baseline's
-- lookup is not a sequential scan: the comparison is about correctness and
-- the claim's own cost, not a missing index.  The seed's calendar is the
-- organisation (it has no broker argument), so the benchmark's calendars are
-- organisations in both implementations.
--
-- The INSERT writes status 'booked': the seed's check looks for 'booked'
-- rows only, so any other status (its 'pending') would make the check never
-- see an earlier claim at all.  This is the most favourable reading of the
-- seed; it still double books, because (1) FOR UPDATE locks nothing when no
-- row matches yet, so concurrent callers for a free slot all insert, and (2)
-- it compares start times, so a slot starting 15 minutes into another one is
-- never seen as taken.
CREATE SCHEMA bench_baseline;

CREATE TABLE bench_baseline.appointments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id uuid,
	contact_id uuid,
	status text,
	scheduled_at timestamptz,
	hold_id uuid,
	created_at timestamptz DEFAULT now()
);
CREATE INDEX appointments_org_scheduled_idx ON bench_baseline.appointments (org_id, scheduled_at);

-- Seed 004, section 3, verbatim but for the INSERT and the schema name.
CREATE FUNCTION bench_baseline.claim_slot_atomic(
  p_slot_time TIMESTAMPTZ,
  p_contact_id UUID,
  p_org_id UUID
) RETURNS UUID AS $$
DECLARE
  v_hold_id UUID;
BEGIN
  -- Pesticimistic Lock via SELECT FOR UPDATE
  PERFORM 1
  FROM bench_baseline.appointments
  WHERE scheduled_at = p_slot_time
    AND org_id = p_org_id
    AND status = 'booked'
  FOR UPDATE;

  IF FOUND THEN
    RAISE EXCEPTION 'Slot already booked';
  END IF;

  -- Proceed to insert/lock
  INSERT INTO bench_baseline.appointments (org_id, contact_id, status, scheduled_at, hold_id)
  VALUES (p_org_id, p_contact_id, 'booked', p_slot_time, gen_random_uuid())
  RETURNING id INTO v_hold_id;
  RETURN v_hold_id;
END;
$$ LANGUAGE plpgsql;
