-- The baseline of bench/reply_bench.sh: what a reply classifier written
-- with regular expressions in PL/pgSQL usually looks like (the "AI node"
-- replaced by keyword lists).  The quoted thread is cut at "On ... wrote:",
-- "-----Original Message-----" or "From:", ">" lines are dropped, keyword
-- lists are tried in a fixed order, and the first NANP-shaped number is the
-- callback number.  The same result type as vapi_pool.classify_reply.
CREATE FUNCTION pg_temp.regex_classify(reply text, region text)
RETURNS vapi_pool.reply_classification
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	body text;
	m text[];
	result vapi_pool.reply_classification;
BEGIN
	body := regexp_replace(reply, '\n\s*(On [^\n]*(\n[^\n]*)?wrote:|-+ ?Original Message|From: ).*$', '', 's');
	body := lower(regexp_replace(body, '^>[^\n]*$', '', 'gn'));
	result.intent := CASE
		WHEN body ~ '(out of (the )?office|automatic reply|auto-?reply|on vacation|annual leave|maternity leave|limited access|upon my return)'
			THEN 'out_of_office'
		WHEN body ~ '(unsubscribe|remove me|take me off|opt out|stop emailing|^\s*stop\W*$|mailing list)'
			THEN 'unsubscribe'
		WHEN body ~ '(wrong person|wrong email|passed away|not the owner|no longer (works|with)|don''t own|do not own)'
			THEN 'wrong_person'
		WHEN body ~ '(not interested|no thanks|no thank you|not at this time|not right now|don''t call|do not call|not looking|all set|\mno\M[.!]?$)'
			THEN 'not_interested'
		WHEN body ~ '(call me|give me a (call|ring)|ring me|phone me|call back|reach me|my (cell|number|phone|mobile)|on the phone)'
			THEN 'call_requested'
		WHEN body ~ '(interested|send me|email me|more info|sounds good|next step|calendar|link)'
			THEN 'interested'
		ELSE 'question'
	END;
	IF result.intent = 'call_requested' THEN
		m := regexp_match(body, '((?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4})');
		result.phone := vapi_pool.e164_try_parse(m[1], region);
	END IF;
	result.confidence := 1;
	result.evidence := NULL;
	RETURN result;
END
$$;
