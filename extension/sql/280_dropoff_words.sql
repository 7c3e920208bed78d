-- Drop-offs: more of the words callers and transcribers use (release 0.10.1,
-- issue 27).  Letters said one by one ("pea are pee", "eye pee el", "bee bee
-- el"), the CO2 laser in English and Spanish ("co dos"), Spanish "botos" and
-- "plasma rico en plaquetas", and the transcriber's "breast left" and
-- "dental and plant".  Existing clinics get the new words of the terms they
-- kept under a starter name; a term they deleted stays deleted, and so does
-- a starter word they removed from a term.

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
		'baby botox', 'jeuveau', 'daxxify', 'wrinkle relaxer', 'wrinkle relaxers', 'botulinum', 'botos', 'bótos']),
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
		'implantes dentales', 'implante dental', 'dental in plants', 'dental in plant', 'tooth in plant', 'dental and plant', 'dental and plants']),
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
		'lifting of the face', 'lifting de la cara', 'estiramiento de cara', 'estiramiento de la cara']),
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
		'double chin shots', 'double chin injection', 'kai bela']),
	('procedure', 'Brazilian butt lift', ARRAY['bbl', 'butt lift', 'b b l', 'brazilian but left', 'brazilian but lift', 'brazilian butt',
		'brazilian but', 'levantamiento de glúteos',
		'levantamiento de gluteos',
		'bum lift', 'be be ele', 'bee bee el', 'b b el']),
	('procedure', 'Breast lift', ARRAY['mastopexy', 'levantamiento de senos', 'breast lip', 'brest lift', 'boob lift',
		'lift my breasts', 'lift my boobs', 'levantamiento de pecho', 'levantar los senos', 'levantamiento de busto', 'breast left']),
	('procedure', 'Breast reduction', ARRAY['reduction mammoplasty', 'reducción de senos', 'reduccion de senos',
		'reducción mamaria',
		'reduce my breasts', 'smaller breasts', 'reducción de pecho', 'reduccion de pecho']),
	('procedure', 'Laser skin resurfacing', ARRAY['laser resurfacing', 'skin resurfacing', 'co2 laser', 'fraxel',
		'fractional laser', 'co2', 'co 2', 'co two', 'co dos', 'see oh two', 'laser co2', 'resurfacing', 'resurfacing laser']),
	('procedure', 'IPL photofacial', ARRAY['ipl', 'photofacial', 'photo facial', 'intense pulsed light', 'i p l',
		'eye p l',
		'luz pulsada', 'fotofacial', 'eye pee el', 'eye p el']),
	('procedure', 'Tattoo removal', ARRAY['laser tattoo removal', 'remove a tattoo', 'remove my tattoo', 'tattoo remover',
		'tattoo removing', 'remove tattoos', 'tattoo', 'tattoos',
		'eliminación de tatuajes',
		'tatuaje', 'tatuajes', 'quitar tatuajes', 'borrar un tatuaje']),
	('procedure', 'Thread lift', ARRAY['pdo threads', 'thread lifting', 'thread lip', 'thread leaf', 'hilos tensores',
		'threads', 'hilos']),
	('procedure', 'PRP', ARRAY['platelet rich plasma', 'prp injections', 'p r p', 'plasma injections', 'pea are pee', 'p are p', 'platelet injections', 'platelet injection', 'plasma rico en plaquetas', 'plaquetas']),
	('procedure', 'Otoplasty', ARRAY['ear pinning', 'ear surgery', 'ear correction', 'otoplastia', 'otto plasty',
		'ears pinned', 'ear pinned', 'pin my ears', 'pinned back', 'pin back', 'pin them back', 'ears stick out', 'ears that stick out', 'orejas', 'cirugía de orejas', 'cirugia de orejas']),
	('procedure', 'Mommy makeover', ARRAY['mommy make over', 'mommy makeover package',
		'mama makeover', 'mami makeover', 'mummy makeover', 'mummy make over'])
$$;

-- Only the words new in 0.10.1: a starter word a clinic removed stays removed.
UPDATE clinic_terms t
SET variants = t.variants || ARRAY(SELECT v FROM unnest(n.words) v WHERE v <> ALL (t.variants))
FROM (VALUES
	('Botox', ARRAY['botos', 'bótos']),
	('PRP', ARRAY['pea are pee', 'p are p', 'platelet injections', 'platelet injection', 'plasma rico en plaquetas',
		'plaquetas']),
	('IPL photofacial', ARRAY['eye pee el', 'eye p el']),
	('Brazilian butt lift', ARRAY['bee bee el', 'b b el']),
	('Laser skin resurfacing', ARRAY['co2', 'co 2', 'co two', 'co dos', 'see oh two', 'laser co2', 'resurfacing',
		'resurfacing laser']),
	('Breast lift', ARRAY['breast left']),
	('Dental implants', ARRAY['dental and plant', 'dental and plants']),
	('Kybella', ARRAY['kai bela']),
	('Facelift', ARRAY['lifting de la cara', 'estiramiento de cara', 'estiramiento de la cara'])
) AS n (name, words)
WHERE t.kind = 'procedure' AND t.name = n.name
  AND NOT n.words <@ t.variants;
