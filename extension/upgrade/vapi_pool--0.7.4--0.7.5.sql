-- vapi_pool 0.7.4 -> 0.7.5, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Drop-offs: the procedure a caller meant (release 0.7.5, issue 27).
--
-- The detector (clinic/clinic_dropoff.c) reads a word by the call's
-- context ("a lift" for the breasts is a Breast lift, "laser on my legs" is
-- Laser hair removal), takes a top-up, a revision or "this time" of a past
-- procedure as a wish, a possessive with a question of care ("one of my
-- veneers chipped") as a patient's, and "after eyelid surgery" of a
-- procedure the caller told as their past as that past again; Spanish
-- "sin" negates.  The starter vocabulary learns the plain words callers
-- use for procedures ("pin my ears back", "do my lips", "hair removal",
-- "tatuajes"), given to existing clinics for the terms they kept.

CREATE OR REPLACE FUNCTION clinic_starter_terms() RETURNS TABLE (kind text, name text, variants text[])
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
VALUES
	('procedure', 'Rhinoplasty', ARRAY['nose job', 'nose surgery', 'nose reshaping', 'rhino plasty', 'rynoplasty',
		'rhino plastic', 'nose work', 'nose jab', 'rinoplastia', 'cirugía de nariz', 'cirugia de nariz', 'operación de nariz',
		'operacion de nariz',
		'nose done', 'fix my nose', 'my nose fixed', 'bump on my nose', 'hump on my nose', 'arreglarme la nariz', 'operarme la nariz']),
	('procedure', 'Botox', ARRAY['botox injections', 'anti wrinkle injections', 'bo tox', 'wrinkle injections',
		'bow tox', 'boat ox', 'bowtox', 'bo talks', 'bow talks', 'botax', 'both ox', 'lip flip', 'dysport', 'xeomin', 'bótox', 'neurotoxin',
		'tox',
		'baby botox', 'jeuveau', 'daxxify', 'wrinkle relaxer', 'wrinkle relaxers', 'botulinum']),
	('procedure', 'Dermal fillers', ARRAY['fillers', 'filler', 'lip fillers', 'lip filler', 'juvederm', 'restylane',
		'lip injections', 'cheek filler', 'relleno', 'rellenos', 'relleno de labios', 'ácido hialurónico',
		'acido hialuronico', 'juvaderm', 'jovi derm', 'juvi derm', 'juva derm', 'radiesse', 'sculptra',
		'lips done', 'syringe', 'syringes',
		'do my lips', 'doing my lips', 'get my lips done', 'lip augmentation', 'lip injection', 'lip enhancement', 'bigger lips', 'fuller lips', 'labios', 'aumento de labios', 'liquid facelift', 'liquid face lift', 'voluma', 'volbella', 'vollure', 'belotero']),
	('procedure', 'Teeth whitening', ARRAY['whitening', 'tooth whitening', 'teeth bleaching', 'whiten my teeth',
		'whiten teeth', 'whiten', 'blanqueamiento',
		'blanqueamiento dental',
		'whiter teeth', 'teeth whitened', 'whitened', 'blanquear', 'blanquearme los dientes']),
	('procedure', 'Dental implants', ARRAY['implants', 'implant', 'dental implant', 'tooth implant',
		'implantes dentales', 'implante dental', 'dental in plants', 'dental in plant', 'tooth in plant']),
	('procedure', 'Invisalign', ARRAY['clear aligners', 'invisible braces', 'aligners', 'invisaline', 'invisa line',
		'invisible line', 'in visa line', 'frenos invisibles', 'alineadores',
		'clear braces', 'ortodoncia invisible']),
	('procedure', 'Liposuction', ARRAY['lipo', 'lipo suction', 'liposuccion', 'liposucción', 'lipo sculpture',
		'liposculpture', 'lipo 360',
		'lipoescultura', 'lipo escultura']),
	('procedure', 'Breast augmentation', ARRAY['breast implants', 'boob job', 'breast enlargement', 'aumento de senos',
		'aumento de busto', 'implantes de seno', 'implantes mamarios', 'breast augmentation surgery', 'breast aug',
		'boobs done', 'breasts done', 'bigger boobs', 'bigger breasts', 'aumento de pecho', 'implantes de pecho']),
	('procedure', 'Laser hair removal', ARRAY['laser removal', 'hair laser', 'laser hair', 'lazer hair',
		'laser hair remover', 'depilación láser',
		'depilacion laser', 'depilación con láser',
		'hair removal', 'depilación', 'depilacion', 'laser depilation', 'remove hair', 'remove the hair']),
	('procedure', 'Chemical peel', ARRAY['face peel', 'facial peel', 'skin peel', 'peel', 'peeling químico',
		'peeling quimico', 'chemical peal']),
	('procedure', 'Facelift', ARRAY['face lift', 'neck lift', 'lifting facial', 'estiramiento facial', 'face lifting',
		'lifting of the face']),
	('procedure', 'Blepharoplasty', ARRAY['eyelid surgery', 'eye lift', 'eyelid lift', 'bleph', 'blefaroplastia',
		'eyelids', 'droopy eyelids', 'droopy lids', 'párpados', 'parpados', 'blefro plasty', 'blepharo plasty',
		'bluff aro plasty', 'blefaro plasty', 'bleff', 'upper eyelid', 'lower eyelid',
		'eye bags', 'under eye bags', 'bags under my eyes', 'bags under her eyes', 'bolsas de los ojos',
		'cirugía de párpados', 'cirugia de parpados',
		'hooded eyes', 'hooded eyelids', 'eyes done', 'párpado', 'parpado']),
	('procedure', 'Tummy tuck', ARRAY['abdominoplasty', 'abdominoplastia', 'tummy tock', 'tummy tuk', 'tommy tuck',
		'stomach tuck', 'tummy talk']),
	('procedure', 'Veneers', ARRAY['veneer', 'porcelain veneers', 'venues', 'vineers', 'carillas', 'carillas dentales',
		'carilla', 'lumineers']),
	('procedure', 'Microneedling', ARRAY['micro needling', 'micro kneeling', 'microneedle', 'collagen induction',
		'vampire facial',
		'microagujas']),
	('procedure', 'HydraFacial', ARRAY['hydra facial', 'hydro facial', 'hydrofacial',
		'hidrafacial']),
	('procedure', 'CoolSculpting', ARRAY['cool sculpting', 'coolsculpt', 'fat freezing', 'cryolipolysis', 'cool sculpt',
		'cool sculpted', 'cool sculpture']),
	('procedure', 'Kybella', ARRAY['kybela', 'kai bella', 'key bella', 'keep bella', 'double chin injections', 'chin fat injections',
		'double chin shots', 'double chin injection']),
	('procedure', 'Brazilian butt lift', ARRAY['bbl', 'butt lift', 'b b l', 'brazilian but left', 'brazilian but lift', 'brazilian butt',
		'brazilian but', 'levantamiento de glúteos',
		'levantamiento de gluteos',
		'bum lift', 'be be ele']),
	('procedure', 'Breast lift', ARRAY['mastopexy', 'levantamiento de senos', 'breast lip', 'brest lift', 'boob lift',
		'lift my breasts', 'lift my boobs', 'levantamiento de pecho', 'levantar los senos', 'levantamiento de busto']),
	('procedure', 'Breast reduction', ARRAY['reduction mammoplasty', 'reducción de senos', 'reduccion de senos',
		'reducción mamaria',
		'reduce my breasts', 'smaller breasts', 'reducción de pecho', 'reduccion de pecho']),
	('procedure', 'Laser skin resurfacing', ARRAY['laser resurfacing', 'skin resurfacing', 'co2 laser', 'fraxel',
		'fractional laser']),
	('procedure', 'IPL photofacial', ARRAY['ipl', 'photofacial', 'photo facial', 'intense pulsed light', 'i p l',
		'eye p l',
		'luz pulsada', 'fotofacial']),
	('procedure', 'Tattoo removal', ARRAY['laser tattoo removal', 'remove a tattoo', 'remove my tattoo', 'tattoo remover',
		'tattoo removing', 'remove tattoos', 'tattoo', 'tattoos',
		'eliminación de tatuajes',
		'tatuaje', 'tatuajes', 'quitar tatuajes', 'borrar un tatuaje']),
	('procedure', 'Thread lift', ARRAY['pdo threads', 'thread lifting', 'thread lip', 'thread leaf', 'hilos tensores',
		'threads', 'hilos']),
	('procedure', 'PRP', ARRAY['platelet rich plasma', 'prp injections', 'p r p', 'plasma injections']),
	('procedure', 'Otoplasty', ARRAY['ear pinning', 'ear surgery', 'ear correction', 'otoplastia', 'otto plasty',
		'ears pinned', 'ear pinned', 'pin my ears', 'pinned back', 'pin back', 'pin them back', 'ears stick out', 'ears that stick out', 'orejas', 'cirugía de orejas', 'cirugia de orejas']),
	('procedure', 'Mommy makeover', ARRAY['mommy make over', 'mommy makeover package',
		'mama makeover', 'mami makeover', 'mummy makeover', 'mummy make over'])
$$;

-- Existing clinics get the starter's new words for the terms they kept under
-- a starter name (a term they deleted stays deleted).
UPDATE clinic_terms t
SET variants = t.variants || ARRAY(SELECT v FROM unnest(s.variants) v WHERE v <> ALL (t.variants))
FROM clinic_starter_terms() s
WHERE t.kind = s.kind AND t.name = s.name
  AND NOT s.variants <@ t.variants;
