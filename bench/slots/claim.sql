-- One claim attempt (bench/slot_bench.sh): a random contact of a random
-- calendar asks for a random 30-minute slot, starting on the half-hour or 15
-- minutes later, among the :window half-hours of a window that moves
-- forward by :advance half-hours with every claim of this client (seq counts
-- them, from -D seq=0).  The calendars never fill up, and the contention
-- stays the same through a run: each slot start is asked for by about
-- clients / (2 x calendars x advance) claims while it is in the window.
-- -D impl=0 runs vapi_pool.claim_slot_atomic (with -D hold), impl=1 the
-- seed's baseline.
\set seq :seq + 1
\set org random(1, :calendars)
\set contact random(1, :contacts)
\set minute 30 * (:seq * :advance + random(0, :window - 1)) + 15 * random(0, 1)
SELECT bench_slots.claim(:impl, :org, :contact, :minute, :hold);
