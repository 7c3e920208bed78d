# 101_assistant_contracts.pl
#   The assistants' prompts and tool descriptions (assistants/*.json) agree
#   with what the tools accept (issue 19): the test reads the definitions
#   vapi-shim pushes to Vapi and plays them against the running shim.
#   - every tool a system prompt tells the model to call is one of that
#     assistant's tools;
#   - every function tool, called through the shim the way Vapi calls it with
#     only its required parameters, is a tool the server knows (whatever it
#     then answers about the values);
#   - every example a time parameter's description quotes ("Tuesday,
#     November 24 at 9:00 AM", "Tuesday at 9", "the second one") is accepted
#     by the booking when those times were offered: the label examples are
#     the very words a check reads out (spoken_time), the others pick one
#     offered time;
#   - (issue 20) every assistant that talks with callers has record_opt_out
#     and its prompt says when to call it; every assistant's end-of-call
#     analysis asks for doNotCall, and the server reads that very flag.
use strict;
use warnings;

use JSON::PP ();
use PostgreSQL::Test::Utils;
use Test::More;
use CallPlayer;
use VapiPoolTest qw(source_dir);

my $json = JSON::PP->new->canonical;
my $org = 'aaaaaaaa-0000-4000-8000-000000000000';
my $broker = 'a1000000-0000-4000-8000-000000000001';

my @files = sort glob(source_dir() . '/assistants/*.json');
ok(@files >= 3, 'the assistants are found') or BAIL_OUT('no assistants/*.json');
my %assistant = map { (m{([^/]+)\.json$})[0] => $json->decode(slurp_file($_)) } @files;

# Every tool name any assistant has: a name in a prompt that is one of these
# must be among the tools of the assistant whose prompt it is.
my %tool_names;
for my $a (values %assistant)
{
	$tool_names{ tool_name($_) } = 1 for @{ $a->{model}{tools} // [] };
}

# A tool's name: the function's, else its type (transferCall, endCall).
sub tool_name
{
	my ($t) = @_;
	return $t->{function}{name} // $t->{type};
}

for my $name (sort keys %assistant)
{
	my $a = $assistant{$name};
	my $prompt = join("\n", map { $_->{content} // '' } @{ $a->{model}{messages} // [] });
	my %own = map { tool_name($_) => 1 } @{ $a->{model}{tools} // [] };
	for my $mentioned (sort grep { $prompt =~ /\b\Q$_\E\b/ } keys %tool_names)
	{
		ok($own{$mentioned}, "$name: the prompt names $mentioned, one of its own tools");
	}
	ok(scalar(grep { $prompt =~ /\b\Q$_\E\b/ } keys %own) == scalar(keys %own),
		"$name: the prompt says when to use each of its tools")
	  or diag "tools the prompt never names: " . join(', ', grep { $prompt !~ /\b\Q$_\E\b/ } sort keys %own);
}

# A voicemail message comes only with a call (its organisation's, once per
# request): an assistant's own would be spoken whenever a call leaves it out.
for my $name (sort keys %assistant)
{
	ok(!exists $assistant{$name}{voicemailMessage}, "$name: no voicemailMessage of its own");
}

# Opt-outs (issue 20): an assistant that talks with callers (it has a tool
# other than transferCall and endCall) can take one off the list, and its
# prompt says when, in English and in Spanish; every assistant's end-of-call
# analysis asks whether the caller asked not to be contacted (doNotCall).
for my $name (sort keys %assistant)
{
	my $a = $assistant{$name};
	my @tools = map { tool_name($_) } @{ $a->{model}{tools} // [] };
	my $prompt = join("\n", map { $_->{content} // '' } @{ $a->{model}{messages} // [] });
	if (grep { $_ ne 'transferCall' && $_ ne 'endCall' } @tools)
	{
		ok(scalar(grep { $_ eq 'record_opt_out' } @tools), "$name: talks with callers, and has record_opt_out");
		like($prompt, qr/don't call me again.*\brecord_opt_out\b/s,
			"$name: the prompt says to call record_opt_out when the caller asks not to be called");
		like($prompt, qr/no me llamen/, "$name: ... in Spanish too");
	}
	my $plan = $a->{analysisPlan}{structuredDataPlan} // {};
	ok($plan->{enabled}, "$name: its end-of-call analysis extracts structured data");
	is($plan->{schema}{properties}{doNotCall}{type}, 'boolean', "$name: ... with the boolean doNotCall");
}

# ---------------------------------------------------------------- played against the shim

my $p = CallPlayer->start('assistant_contracts', fixtures => <<"SQL");
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name) VALUES ('$org', 'Acme Home Loans');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id) VALUES
	('$org', '$broker', 'Dana Lee', 'America/Los_Angeles', '+13105550147', true, 4242);
SELECT count(*) FROM (SELECT add_pool_number('$broker', '+13105550199', 'pn_contracts')) s;
SQL

# A sample value of a JSON schema property: its first enum value, else one of its type.
sub sample
{
	my ($schema) = @_;
	return $schema->{enum}[0] if $schema->{enum};
	my $type = $schema->{type} // 'string';
	return $type eq 'number' || $type eq 'integer' ? 30 : $type eq 'boolean' ? JSON::PP::true : 'sample';
}

my $call = $p->inbound_call(to => '+13105550199', from => '+14155550123');
$call->assistant_request;
for my $name (sort keys %assistant)
{
	for my $tool (grep { $_->{type} eq 'function' } @{ $assistant{$name}{model}{tools} // [] })
	{
		my $f = $tool->{function};
		my %args = map { $_ => sample($f->{parameters}{properties}{$_}) } @{ $f->{parameters}{required} // [] };
		my $said = $call->tool($f->{name}, \%args);
		unlike($said, qr/unknown tool|must be a JSON object|has no function name/,
			"$name: $f->{name} is a tool the server answers") or diag $said;
		like($said, qr/^Done\. Acme Home Loans will not call or text 415-555-0123 again\./,
			"$name: $f->{name} takes the caller's own number off the list") if $f->{name} eq 'record_opt_out';
	}
}

# The flags the definitions ask Vapi's analysis for are the ones the server
# reads: a report with all of them true records an opt-out.
my %flags = map { %{ $_->{analysisPlan}{structuredDataPlan}{schema}{properties} // {} } } values %assistant;
my (undef, $ended) = $p->inbound_call(to => '+13105550199', from => '+14155550166')
  ->end(analysis => { summary => '', structuredData => { map { $_ => JSON::PP::true } keys %flags } });
ok($ended->{opted_out}, "a report whose analysis sets the definitions' flags records an opt-out")
  or diag explain $ended;
is($p->sql("SELECT source FROM vapi_pool.do_not_call WHERE phone = '+14155550166'"), 'call_report',
	'... of the caller, from the call report');

# The examples of the time parameters, offered and then chosen.  Offered:
# the labels every example names (computed by the extension's own
# spoken_time from the dates in the examples' words), as one round.
my @examples;
for my $name (sort keys %assistant)
{
	for my $tool (grep { $_->{type} eq 'function' } @{ $assistant{$name}{model}{tools} // [] })
	{
		my $props = $tool->{function}{parameters}{properties} // {};
		for my $prop (sort keys %$props)
		{
			next unless $prop =~ /^(?:start|slot_time|new_start|time)$/;
			my @quoted = ($props->{$prop}{description} // '') =~ /"([^"]+)"/g;
			push @examples, map { [ "$name $tool->{function}{name}.$prop", $_ ] } @quoted;
		}
	}
}
ok(@examples >= 3, 'the time parameters quote examples of what to pass') or diag explain \@examples;

# Every label-shaped example must be exactly what spoken_time writes for its date.
my @labels = grep { $_->[1] =~ /^\w+day, \w+ \d{1,2} at \d{1,2}:\d\d [AP]M$/ } @examples;
ok(@labels >= 1, 'at least one example is a label as a check reads it out');
for my $l (@labels)
{
	my ($month, $day, $hm, $ampm) = $l->[1] =~ /, (\w+) (\d+) at (\d+:\d\d) ([AP]M)$/;
	# a year after this one in which that weekday falls on that date
	my $written = $p->sql("SELECT vapi_pool.spoken_time(t AT TIME ZONE 'America/Los_Angeles', 'America/Los_Angeles')
		FROM (SELECT (y || '-' || '$month' || '-' || $day || ' $hm $ampm')::timestamp AS t FROM generate_series(pg_catalog.date_part('year', now())::integer + 1, 2100) y) s
		WHERE vapi_pool.spoken_time(t AT TIME ZONE 'America/Los_Angeles', 'America/Los_Angeles') = '$l->[1]' LIMIT 1");
	is($written, $l->[1], "$l->[0]: \"$l->[1]\" is written exactly as a check writes a time");
}

# Offer those times and their neighbours (the same day half an hour later,
# the next day at the same hour) in one round of a call, then choose with
# every example.
my %seen;
my @slot_starts;
for my $l (@labels)
{
	my ($month, $day, $hm, $ampm) = $l->[1] =~ /, (\w+) (\d+) at (\d+:\d\d) ([AP]M)$/;
	for my $shift ('0', '30 minutes', '1 day')
	{
		my $t = $p->sql("SELECT pg_catalog.to_char(((y || '-' || '$month' || '-' || $day || ' $hm $ampm')::timestamp
			+ interval '$shift') AT TIME ZONE 'America/Los_Angeles' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
			FROM generate_series(pg_catalog.date_part('year', now())::integer + 1, 2100) y
			WHERE vapi_pool.spoken_time((y || '-' || '$month' || '-' || $day || ' $hm $ampm')::timestamp AT TIME ZONE 'America/Los_Angeles',
				'America/Los_Angeles') = '$l->[1]' LIMIT 1");
		push @slot_starts, $t unless $seen{$t}++;
	}
}
my %by_day;
push @{ $by_day{ substr($_, 0, 10) } }, { start => $_ } for sort @slot_starts;
$p->sql("SELECT vapi_pool.offer_free_slots('$org', '$broker', 'contracts-call', 'America/Los_Angeles',
	'${\ $json->encode({ status => 'success', data => \%by_day }) }')");
for my $e (@examples)
{
	my ($rc, $r, $err) = $p->node->psql('postgres', "SELECT label FROM vapi_pool.offered_slots
		WHERE id = vapi_pool.offered_slot_id('$org', 'contracts-call', '${\ ($e->[1] =~ s/'/''/gr) }', '$broker')");
	ok($rc == 0 && $r ne '', "$e->[0]: \"$e->[1]\" picks one offered time") or diag $err;
}

$p->stop;
done_testing();
