-- vapi_pool 0.7.3 -> 0.7.4, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Drop-offs that hold on calls nobody tuned for (release 0.7.4, issue 27).
--
-- The detector (clinic/clinic_dropoff.c) now tells a lost caller from one
-- who closed the call ("I'll think about it, thanks, bye"), a patient's
-- aftercare from a lead's interest, a job applicant or vendor from a
-- patient, a past procedure from the new one asked about in the same
-- sentence, and reads the time limit and an assistant that hung up on
-- silence as the caller lost; docs/clinic_followups.md has the table of
-- endings.  The starter vocabulary grows: procedures a cosmetic clinic
-- commonly offers, Spanish names, and the transcriber's usual slips.

CREATE OR REPLACE FUNCTION clinic_starter_terms() RETURNS TABLE (kind text, name text, variants text[])
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
VALUES
	('procedure', 'Rhinoplasty', ARRAY['nose job', 'nose surgery', 'nose reshaping', 'rhino plasty', 'rynoplasty',
		'rhino plastic', 'nose work', 'nose jab', 'rinoplastia', 'cirugía de nariz', 'cirugia de nariz', 'operación de nariz',
		'operacion de nariz']),
	('procedure', 'Botox', ARRAY['botox injections', 'anti wrinkle injections', 'bo tox', 'wrinkle injections',
		'bow tox', 'boat ox', 'bowtox', 'bo talks', 'bow talks', 'botax', 'both ox', 'lip flip', 'dysport', 'xeomin', 'bótox', 'neurotoxin',
		'tox']),
	('procedure', 'Dermal fillers', ARRAY['fillers', 'filler', 'lip fillers', 'lip filler', 'juvederm', 'restylane',
		'lip injections', 'cheek filler', 'relleno', 'rellenos', 'relleno de labios', 'ácido hialurónico',
		'acido hialuronico', 'juvaderm', 'jovi derm', 'juvi derm', 'juva derm', 'radiesse', 'sculptra',
		'lips done', 'syringe', 'syringes']),
	('procedure', 'Teeth whitening', ARRAY['whitening', 'tooth whitening', 'teeth bleaching', 'whiten my teeth',
		'whiten teeth', 'whiten', 'blanqueamiento',
		'blanqueamiento dental']),
	('procedure', 'Dental implants', ARRAY['implants', 'implant', 'dental implant', 'tooth implant',
		'implantes dentales', 'implante dental', 'dental in plants', 'dental in plant', 'tooth in plant']),
	('procedure', 'Invisalign', ARRAY['clear aligners', 'invisible braces', 'aligners', 'invisaline', 'invisa line',
		'invisible line', 'in visa line', 'frenos invisibles', 'alineadores']),
	('procedure', 'Liposuction', ARRAY['lipo', 'lipo suction', 'liposuccion', 'liposucción', 'lipo sculpture',
		'liposculpture', 'lipo 360']),
	('procedure', 'Breast augmentation', ARRAY['breast implants', 'boob job', 'breast enlargement', 'aumento de senos',
		'aumento de busto', 'implantes de seno', 'implantes mamarios', 'breast augmentation surgery', 'breast aug']),
	('procedure', 'Laser hair removal', ARRAY['laser removal', 'hair laser', 'laser hair', 'lazer hair',
		'laser hair remover', 'depilación láser',
		'depilacion laser', 'depilación con láser']),
	('procedure', 'Chemical peel', ARRAY['face peel', 'facial peel', 'skin peel', 'peel', 'peeling químico',
		'peeling quimico', 'chemical peal']),
	('procedure', 'Facelift', ARRAY['face lift', 'neck lift', 'lifting facial', 'estiramiento facial', 'face lifting',
		'lifting of the face']),
	('procedure', 'Blepharoplasty', ARRAY['eyelid surgery', 'eye lift', 'eyelid lift', 'bleph', 'blefaroplastia',
		'eyelids', 'droopy eyelids', 'droopy lids', 'párpados', 'parpados', 'blefro plasty', 'blepharo plasty',
		'bluff aro plasty', 'blefaro plasty', 'bleff', 'upper eyelid', 'lower eyelid',
		'eye bags', 'under eye bags', 'bags under my eyes', 'bags under her eyes', 'bolsas de los ojos',
		'cirugía de párpados', 'cirugia de parpados']),
	('procedure', 'Tummy tuck', ARRAY['abdominoplasty', 'abdominoplastia', 'tummy tock', 'tummy tuk', 'tommy tuck']),
	('procedure', 'Veneers', ARRAY['veneer', 'porcelain veneers', 'venues', 'vineers', 'carillas', 'carillas dentales']),
	('procedure', 'Microneedling', ARRAY['micro needling', 'micro kneeling', 'microneedle', 'collagen induction',
		'vampire facial',
		'microagujas']),
	('procedure', 'HydraFacial', ARRAY['hydra facial', 'hydro facial', 'hydrofacial']),
	('procedure', 'CoolSculpting', ARRAY['cool sculpting', 'coolsculpt', 'fat freezing', 'cryolipolysis', 'cool sculpt',
		'cool sculpted', 'cool sculpture']),
	('procedure', 'Kybella', ARRAY['kybela', 'kai bella', 'key bella', 'keep bella', 'double chin injections', 'chin fat injections',
		'double chin shots', 'double chin injection']),
	('procedure', 'Brazilian butt lift', ARRAY['bbl', 'butt lift', 'b b l', 'brazilian but left', 'brazilian but lift', 'brazilian butt',
		'brazilian but', 'levantamiento de glúteos',
		'levantamiento de gluteos']),
	('procedure', 'Breast lift', ARRAY['mastopexy', 'levantamiento de senos', 'breast lip', 'brest lift', 'boob lift']),
	('procedure', 'Breast reduction', ARRAY['reduction mammoplasty', 'reducción de senos', 'reduccion de senos',
		'reducción mamaria']),
	('procedure', 'Laser skin resurfacing', ARRAY['laser resurfacing', 'skin resurfacing', 'co2 laser', 'fraxel',
		'fractional laser']),
	('procedure', 'IPL photofacial', ARRAY['ipl', 'photofacial', 'photo facial', 'intense pulsed light', 'i p l',
		'eye p l']),
	('procedure', 'Tattoo removal', ARRAY['laser tattoo removal', 'remove a tattoo', 'remove my tattoo', 'tattoo remover',
		'tattoo removing', 'remove tattoos', 'tattoo', 'tattoos',
		'eliminación de tatuajes']),
	('procedure', 'Thread lift', ARRAY['pdo threads', 'thread lifting', 'thread lip', 'thread leaf', 'hilos tensores']),
	('procedure', 'PRP', ARRAY['platelet rich plasma', 'prp injections', 'p r p', 'plasma injections']),
	('procedure', 'Otoplasty', ARRAY['ear pinning', 'ear surgery', 'ear correction', 'otoplastia', 'otto plasty']),
	('procedure', 'Mommy makeover', ARRAY['mommy make over', 'mommy makeover package'])
$$;

-- Existing clinics get the procedures new to the starter list (the ones they
-- had, deleted or not, stay as they are) and the starter's new words for
-- the terms they kept under a starter name.
INSERT INTO clinic_terms (org_id, kind, name, variants)
SELECT o.org_id, s.kind, s.name, s.variants
FROM orgs o CROSS JOIN clinic_starter_terms() s
WHERE o.is_clinic
  AND s.name IN ('Microneedling', 'HydraFacial', 'CoolSculpting', 'Kybella', 'Brazilian butt lift', 'Breast lift',
                 'Breast reduction', 'Laser skin resurfacing', 'IPL photofacial', 'Tattoo removal', 'Thread lift',
                 'PRP', 'Otoplasty', 'Mommy makeover')
ON CONFLICT ON CONSTRAINT clinic_terms_name_key DO NOTHING;
UPDATE clinic_terms t
SET variants = t.variants || ARRAY(SELECT v FROM unnest(s.variants) v WHERE v <> ALL (t.variants))
FROM clinic_starter_terms() s
WHERE t.kind = s.kind AND t.name = s.name
  AND NOT s.variants <@ t.variants;

-- A caller cut off by the call's time limit is a drop-off too.
ALTER TABLE dropoff_followups DROP CONSTRAINT dropoff_followups_ending_known;
ALTER TABLE dropoff_followups ADD CONSTRAINT dropoff_followups_ending_known
	CHECK (ending IN ('hung_up', 'silence', 'cut_off', 'technical_failure'));
