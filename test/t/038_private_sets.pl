# Private set operations at three and five real servers over TLS: overlap
# counts of random key sets with planted intersections, duplicates, NULLs,
# skewed sizes, an empty set, a set of NULL keys only and keys of 2 MB, for
# every key type; normalised keys (case and spaces, phonetic codes, dates
# written in different orders); intersection sums of one party's values and
# of two parties', and per group of a domain; the overlap matrix of pairs,
# under the policy that allows it; the errors a mismatch gives; the release
# policy on the overlap; a job id that runs once; and a party that deviates
# (a blinded set with a repeated element), which stops the job everywhere
# with nothing released.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes;
use SmpcTest;

# Deterministic "random" sets (so a failure can be replayed).
srand(20261203);

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '20s');

# Keys: "cust-<n>". Planted: 0..39 at every party, 40..69 at a and b only,
# 70..89 at b and c only; each party adds keys of its own (skewed sizes:
# a 2000, b 50, c 300), a few duplicates and NULLs.
my %own = (a => [ map { 10_000 + $_ } 1 .. 2000 ], b => [ map { 20_000 + $_ } 1 .. 50 ],
	c => [ map { 30_000 + $_ } 1 .. 300 ]);
my %keys = (
	a => [ 0 .. 39, 40 .. 69, @{ $own{a} } ],
	b => [ 0 .. 39, 40 .. 69, 70 .. 89, @{ $own{b} } ],
	c => [ 0 .. 39, 70 .. 89, @{ $own{c} } ]);
my %dups = (a => 5, b => 0, c => 3);
my %nulls = (a => 2, b => 0, c => 1);
my %distinct = map { $_ => scalar @{ $keys{$_} } } keys %keys;

for my $p ($fed->names)
{
	my @k = @{ $keys{$p} };
	# Shuffled, so no order of rows is the same at two parties.
	for (my $i = $#k; $i > 0; $i--)
	{
		my $j = int(rand($i + 1));
		@k[ $i, $j ] = @k[ $j, $i ];
	}
	push @k, @k[ 0 .. $dups{$p} - 1 ];
	$fed->psql($p, qq{
		CREATE TABLE customers(n bigint, email text, uid uuid, raw bytea, region text);
		INSERT INTO customers
		SELECT n, 'cust-' || n || '\@example.org',
		       md5('cust-' || n)::uuid, decode(md5('cust-' || n), 'hex'),
		       CASE WHEN n % 2 = 0 THEN 'north' ELSE 'south' END
		FROM unnest(ARRAY[@{[ join(',', @k) ]}]::bigint[]) AS n;
		INSERT INTO customers SELECT NULL, NULL, NULL, NULL, 'north'
		FROM generate_series(1, $nulls{$p});});
}

my $all3 = 40;
my $two_of_three = 40 + 30 + 20;
my $union = 90 + 2000 + 50 + 300;
my ($rc, $out, $err);

my $res = $fed->run_all("SELECT smpc_intersect_count(email, 'psi-text') FROM customers");
$fed->expect_all_ok($res, $all3, 'text keys: the intersection count');
$res = $fed->run_all("SELECT smpc_overlap_count(n, 2, 'psi-int') FROM customers");
$fed->expect_all_ok($res, $two_of_three, 'bigint keys: held by at least 2 of 3');
$res = $fed->run_all("SELECT smpc_union_count(uid, 'psi-uuid') FROM customers");
$fed->expect_all_ok($res, $union, 'uuid keys: the de-duplicated union');
$res = $fed->run_all("SELECT smpc_intersect_count(raw, 'psi-bytea') FROM customers");
$fed->expect_all_ok($res, $all3, 'bytea keys: the intersection count');
# integer columns are bigint keys: a party's int4 matches another's int8.
$fed->psql('b', 'CREATE TABLE small AS SELECT n::integer AS n FROM customers');
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(n, 'psi-widths') FROM customers",
	b => "SELECT smpc_intersect_count(n, 'psi-widths') FROM small",
	c => "SELECT smpc_intersect_count(n, 'psi-widths') FROM customers" });
$fed->expect_all_ok($res, $all3, 'integer keys of different widths match');

# Per group of a public domain: each party's region of a key (n even:
# north, odd: south). The parties agree on every key's region here, so the
# counts split the totals; c puts keys 0..9 in 'west' instead, a group the
# others never use (so those keys count in no group at all three).
$fed->psql('c', "UPDATE customers SET region = 'west' WHERE n < 10");
my $dom = "ARRAY['north', 'south', 'west', 'east']";
$res = $fed->run_all("SELECT string_agg(key || '=' || coalesce(value::text, '-'), ' ' ORDER BY key) "
	  . "FROM unnest((SELECT smpc_intersect_count_by(email, region, $dom, 'psi-by') FROM customers))");
$fed->expect_all_ok($res, 'east=0 north=15 south=15 west=0', 'intersection count by region');
$res = $fed->run_all("SELECT string_agg(key || '=' || coalesce(value::text, '-'), ' ' ORDER BY key) "
	  . "FROM unnest((SELECT smpc_overlap_count_by(n, region, 2, $dom, 'psi-by2') FROM customers))");
# Held by at least 2 in a region: 10..39 (30, by parity), 40..69 (30), 70..89 (20),
# and 0..9 at a and b only (c moved them to west): 40 + 30 + 20 + 10 = 90.
$fed->expect_all_ok($res, 'east=0 north=45 south=45 west=0', 'held by 2 of 3, by region');
$res = $fed->run_all("SELECT sum(value) FROM unnest((SELECT smpc_union_count_by(uid, region, $dom, 'psi-by3') FROM customers))");
# The union by region: c's keys 0..9 are in west and (at a and b) in north or south.
$fed->expect_all_ok($res, $union + 10, 'the union by region counts a key once per region');
# min_rows suppresses the small groups only.
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 10)") for $fed->names;
$res = $fed->run_all("SELECT string_agg(key || '=' || coalesce(value::text, '-') || (CASE WHEN suppressed THEN '!' ELSE '' END), ' ' ORDER BY key) "
	  . "FROM unnest((SELECT smpc_intersect_count_by(email, region, $dom, 'psi-by4') FROM customers))");
$fed->expect_all_ok($res, 'east=-! north=15 south=15 west=-!', 'groups below min_rows are suppressed');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;
# A domain of 100 groups: the audit row gives the counts' digest, as for any
# job of more than 64 values (smpc.jobs keeps them).
$res = $fed->run_all("SELECT (SELECT value FROM unnest(smpc_intersect_count_by(email, 'g' || (n % 100), "
	  . "ARRAY(SELECT 'g' || i FROM generate_series(0, 99) i), 'psi-by100')) WHERE key = 'g7') "
	  . "FROM customers WHERE n IS NOT NULL");
# (Of the keys all three hold, 0..39, only 7 is in g7.)
$fed->expect_all_ok($res, '1', 'a domain of 100 groups');
$fed->wait_audit('a', "job_id = 'psi-by100' AND outcome = 'released'", 1);
like($fed->psql('a', "SELECT result FROM smpc.audit_log WHERE job_id = 'psi-by100' AND outcome = 'released'"),
	qr/^counts 100 values, sha256 [0-9a-f]{64} \(in smpc.jobs\); keys here: /,
	'a domain of 100 groups: the audit row has the digest of the counts');
# A region outside the domain is refused, or dropped on request.
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_intersect_count_by(email, region, ARRAY['north'], 'psi-by5') FROM customers");
like($err, qr/group key "south" is not in the job's key domain/, 'a group outside the domain is refused');
$fed->psql('c', "UPDATE customers SET region = CASE WHEN n % 2 = 0 THEN 'north' ELSE 'south' END WHERE n < 10");

# The overlap matrix: each pair's overlap, only under a policy that allows
# it. a&b share 0..69, a&c 0..39, b&c 0..39 and 70..89.
# (In the array's order: pairs in the federation's order.)
my $pairs_sql = "SELECT string_agg(party_a || '&' || party_b || '=' || coalesce(shared_keys::text, '-') "
  . "|| CASE WHEN suppressed THEN '!' ELSE '' END, ' ' ORDER BY i) "
  . "FROM unnest((SELECT smpc_overlap_matrix(email, '%s') FROM customers)) WITH ORDINALITY "
  . "AS u(party_a, party_b, shared_keys, suppressed, i)";
($rc, $out, $err) = $fed->try_psql('a', sprintf($pairs_sql, 'psi-pairs0'));
like($err, qr/SM006.*release policy of federation "ico" does not allow the overlap of pairs of parties/s,
	'the overlap matrix is refused unless the policy allows it');
is($fed->psql('a', "SELECT count(*) FROM smpc.jobs WHERE job_id = 'psi-pairs0'"), '0',
	'the refused matrix left no job behind');
is($fed->wait_audit('a', "job_id = 'psi-pairs0' AND outcome = 'refused'", 1), 1,
	'the refused matrix is in the audit trail');
# Only a matrix job's policy names overlap_pairs: allowing it at one party
# first changes no other job.
$fed->psql('a', "SELECT smpc.set_overlap_pairs('ico')");
$res = $fed->run_all("SELECT smpc_union_count(email, 'psi-pairs-first') FROM customers");
$fed->expect_all_ok($res, $union, 'other set jobs run while one party alone allows the matrix');
$fed->psql($_, "SELECT smpc.set_overlap_pairs('ico')") for $fed->names;
$res = $fed->run_all(sprintf($pairs_sql, 'psi-pairs'));
$fed->expect_all_ok($res, 'a&b=70 a&c=40 b&c=60', 'the overlap of each pair of parties');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 50)") for $fed->names;
$res = $fed->run_all(sprintf($pairs_sql, 'psi-pairs2'));
$fed->expect_all_ok($res, 'a&b=70 a&c=-! b&c=60', 'a pair below min_rows is suppressed alone');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;
$fed->psql($_, "SELECT smpc.set_overlap_pairs('ico', false)") for $fed->names;
# A released matrix returns its stored result again, also once the setting
# is off (nothing new is released).
$res = $fed->run_all(sprintf($pairs_sql, 'psi-pairs2'));
$fed->expect_all_ok($res, 'a&b=70 a&c=-! b&c=60', 'a released matrix job id returns its stored result');
$fed->wait_audit('b', "job_id = 'psi-pairs' AND outcome = 'released'", 1);
is($fed->psql('b', "SELECT aggregate || ' / ' || result FROM smpc.audit_log "
	  . "WHERE job_id = 'psi-pairs' AND outcome = 'released'"),
	"overlap_matrix(text) / pair counts 70,40,60; keys here: $distinct{b} distinct, 0 repeated, 0 NULL",
	'audit: the pair counts in the federation\'s order');

# The audit row says what the party's keys were (distinct, repeated, NULL).
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'psi-text' AND outcome = 'released'", 1);
	is($fed->psql($p, "SELECT aggregate || ' / ' || result FROM smpc.audit_log "
		  . "WHERE job_id = 'psi-text' AND outcome = 'released'"),
		"intersect_count(text) / count $all3; keys here: $distinct{$p} distinct, "
		  . "$dups{$p} repeated, $nulls{$p} NULL",
		"audit at $p: the count and this party's keys");
}

# Intersection sums: c gives a value per row (its repeated keys add
# theirs), a (the counting party, which may not) and b none; then b and c
# give values. The expected sums are plain SQL over the planted overlap
# (keys 0..39) at the party itself.
my $sum_c = $fed->psql('c', "SELECT sum(n * 10 + 7) FROM customers WHERE n < 40");
my $sum_b = $fed->psql('b', "SELECT sum(n + 1) FROM customers WHERE n < 40");
my %sum_sql = (a => "SELECT smpc_intersect_sum(n, NULL::bigint, '%s') FROM customers",
	b => "SELECT smpc_intersect_sum(n, NULL::bigint, '%s') FROM customers",
	c => "SELECT smpc_intersect_sum(n, n * 10 + 7, '%s') FROM customers");
$res = $fed->run_all({ map { $_ => sprintf($sum_sql{$_}, 'psi-sum') } $fed->names });
$fed->expect_all_ok($res, $sum_c, "intersection sum of c's values");
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'psi-sum' AND outcome = 'released'", 1);
	is($fed->psql($p, "SELECT aggregate || ' / ' || result FROM smpc.audit_log "
		  . "WHERE job_id = 'psi-sum' AND outcome = 'released'"),
		"intersect_sum(integer) / sum $sum_c over $all3 keys; keys here: $distinct{$p} distinct, "
		  . "$dups{$p} repeated, $nulls{$p} NULL, " . ($p eq 'c' ? 'with values' : 'no values'),
		"intersection sum, audit at $p: the sum, the count and this party's keys");
}
$res = $fed->run_all({
	a => sprintf($sum_sql{a}, 'psi-sum2'), c => sprintf($sum_sql{c}, 'psi-sum2'),
	b => "SELECT smpc_intersect_sum(n, n + 1, 'psi-sum2') FROM customers" });
$fed->expect_all_ok($res, $sum_b + $sum_c, "intersection sum of b's and c's values");
# The average over the overlap: the same job, divided by the count (40).
$res = $fed->run_all({ map { my $v = $_ eq 'c' ? 'n * 10 + 7' : 'NULL::bigint';
	$_ => "SELECT smpc_intersect_avg(n, $v, 'psi-avg') FROM customers" } $fed->names });
my $avg_c = $fed->psql('c', "SELECT $sum_c / 40.0");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $avg_c) },
	"intersection average of c's values");
# A party that runs the sum where the others run the average fails the job.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_avg(n, NULL::bigint, 'psi-avg2') FROM customers",
	b => "SELECT smpc_intersect_sum(n, NULL::bigint, 'psi-avg2') FROM customers",
	c => "SELECT smpc_intersect_avg(n, n * 10 + 7, 'psi-avg2') FROM customers" });
$fed->expect_all_fail($res, [qr/SM00[0-9]/], 'a sum against an average');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 41)") for $fed->names;
$res = $fed->run_all({ map { $_ => sprintf($sum_sql{$_}, 'psi-sum-small') } $fed->names });
$fed->expect_all_fail($res, [qr/SM00[0-9]/, qr/below the minimum of 41|fewer than 41|min_rows/],
	'an intersection sum over an overlap below min_rows');
$fed->expect_nothing_released('psi-sum-small', 'an intersection sum below min_rows');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;

# Intersection sums by region, in one job: per region, c's values (a and b
# give none) over the keys all three put in that region; west holds none.
my %by_c = map { split /=/ } split / /, $fed->psql('c',
	"SELECT string_agg(region || '=' || s, ' ') FROM "
	  . "(SELECT region, sum(n * 10 + 7) AS s FROM customers WHERE n < 40 GROUP BY region) x");
my $sum_by_sql = "SELECT string_agg(key || '=' || coalesce(value::text, '-') "
  . "|| CASE WHEN suppressed THEN '!' ELSE '' END, ' ' ORDER BY key) "
  . "FROM unnest((SELECT smpc_%s(n, region, %s, ARRAY['north', 'south', 'west'], '%s') FROM customers))";
my %by_value = (a => 'NULL::bigint', b => 'NULL::bigint', c => 'n * 10 + 7');
$res = $fed->run_all({ map { $_ => sprintf($sum_by_sql, 'intersect_sum_by', $by_value{$_}, 'psi-sum-by') }
	  $fed->names });
$fed->expect_all_ok($res, "north=$by_c{north} south=$by_c{south} west=0",
	"intersection sums by region of c's values");
$res = $fed->run_all({ map { $_ => sprintf($sum_by_sql, 'intersect_sum_by', $by_value{$_}, 'psi-sum-by') }
	  $fed->names });
$fed->expect_all_ok($res, "north=$by_c{north} south=$by_c{south} west=0",
	'a released grouped sum returns its stored result');
$fed->wait_audit('c', "job_id = 'psi-sum-by' AND outcome = 'released'", 1);
like($fed->psql('c', "SELECT result FROM smpc.audit_log WHERE job_id = 'psi-sum-by' AND outcome = 'released'"),
	qr/^sums and counts $by_c{north},20,$by_c{south},20,0,0; keys here: $distinct{c} distinct, $dups{c} repeated, $nulls{c} NULL, with values$/,
	"intersection sums by region, audit at c: each region's sum and count");
# The average per region; under min_rows 1 the empty region is suppressed alone.
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 1)") for $fed->names;
$res = $fed->run_all({ map { $_ => sprintf($sum_by_sql, 'intersect_avg_by', $by_value{$_}, 'psi-avg-by') }
	  $fed->names });
my $avg_north = $fed->psql('c', "SELECT $by_c{north} / 20::numeric");
my $avg_south = $fed->psql('c', "SELECT $by_c{south} / 20::numeric");
$fed->expect_all_ok($res, "north=$avg_north south=$avg_south west=-!",
	'intersection averages by region, the empty one suppressed');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;

# A party with no keys at all: the overlap is empty, the union is the others'.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(email, 'psi-empty') FROM customers",
	b => "SELECT smpc_intersect_count(email, 'psi-empty') FROM customers WHERE false",
	c => "SELECT smpc_intersect_count(email, 'psi-empty') FROM customers" });
$fed->expect_all_ok($res, '0', 'an empty set at b');

# All of b's keys NULL: an empty set there (the audit row counts them).
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(email, 'psi-allnull') FROM customers",
	b => "SELECT smpc_intersect_count(CASE WHEN n < 0 THEN email END, 'psi-allnull') FROM customers",
	c => "SELECT smpc_intersect_count(email, 'psi-allnull') FROM customers" });
$fed->expect_all_ok($res, '0', 'all keys NULL at b');
$fed->wait_audit('b', "job_id = 'psi-allnull' AND outcome = 'released'", 1);
is($fed->psql('b', "SELECT result FROM smpc.audit_log WHERE job_id = 'psi-allnull' AND outcome = 'released'"),
	"count 0; keys here: 0 distinct, 0 repeated, $distinct{b} NULL", 'all keys NULL at b: the audit row counts them');
# Keys of 2 MB (a key costs its 32-byte digest from the local phase on).
$res = $fed->run_all("SELECT smpc_intersect_count(repeat('x', 2000000) || n, 'psi-long') FROM customers WHERE n < 5");
$fed->expect_all_ok($res, '5', 'keys of 2 MB');

# Keys of different types: the job fails everywhere, naming both.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(email, 'psi-types') FROM customers",
	b => "SELECT smpc_intersect_count(n, 'psi-types') FROM customers",
	c => "SELECT smpc_intersect_count(email, 'psi-types') FROM customers" });
$fed->expect_all_fail($res, [], 'different key types');
# c finds the mismatch itself, or first hears of it in b's abort (relayed by
# a when a's came first): either way the error names b and both types.
like($res->{c}{stderr}, qr/party b computes intersect_count\(integer\) under this job id, this party computes intersect_count\(text\)|party b aborted the job: party [ac] computes intersect_count\(text\) under this job id, this party computes intersect_count\(integer\)/,
	'different key types: the error names the party and both types');
$fed->expect_nothing_released('psi-types', 'different key types');

# Inexact records: b holds upper-case, padded e-mail addresses.
$fed->psql('b', "UPDATE customers SET email = '  ' || upper(email) || ' '");
$res = $fed->run_all("SELECT smpc_intersect_count(email, 'psi-raw') FROM customers");
$fed->expect_all_ok($res, '0', 'unnormalised inexact keys do not match');
$res = $fed->run_all(
	"SELECT smpc_intersect_count(smpc_normalize_key(email, 'lower, trim'), 'psi-norm') FROM customers");
$fed->expect_all_ok($res, $all3, 'normalised keys match');
# A party that normalises differently fails the job instead of shrinking it.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(smpc_normalize_key(email, 'trim,lower'), 'psi-norm2') FROM customers",
	b => "SELECT smpc_intersect_count(smpc_normalize_key(email, 'lower'), 'psi-norm2') FROM customers",
	c => "SELECT smpc_intersect_count(smpc_normalize_key(email, 'lower,trim'), 'psi-norm2') FROM customers" });
$fed->expect_all_fail($res, [], 'different normalisations');
# (b and c each see the other's set first and stop the job; a hears of it
# from whichever aborts first, with its reason.)
like($res->{a}{stderr} . $res->{b}{stderr} . $res->{c}{stderr},
	qr/party b computes intersect_count\(text\) normalized by lower under this job id, this party computes intersect_count\(text\) normalized by trim,lower|party a computes intersect_count\(text\) normalized by trim,lower under this job id, this party computes intersect_count\(text\) normalized by lower/,
	'different normalisations: the error names both');

# Phonetic keys: spellings that sound alike link (Smith, Smyth, SMITH;
# Robert, Rupert, Roberts; Ashcraft, Ashcroft); Lee and Leigh do not.
my %names = (a => [qw(Smith Robert Ashcraft Lee)], b => [qw(Smyth Rupert Ashcroft Leigh)],
	c => ['SMITH ', 'Roberts', 'Ashcraft', 'Okafor']);
# Dates: each party writes them its own way and reads them in its own order.
my %dates = (a => [ 'date_dmy', '03/04/1980', '17/11/1975', '01/02/1990' ],
	b => [ 'date_mdy', '04/03/1980', '11/17/1975', '02/01/1991' ],
	c => [ 'date_ymd', '1980-04-03', '17 November 1975', '1990-02-01' ]);
for my $p ($fed->names)
{
	my ($order, @d) = @{ $dates{$p} };
	$fed->psql($p, "CREATE TABLE people(surname text, born text); INSERT INTO people "
		  . "SELECT * FROM unnest(ARRAY['" . join("','", @{ $names{$p} }) . "'], ARRAY['"
		  . join("','", @d) . "'])");
}
$res = $fed->run_all("SELECT smpc_intersect_count(surname, 'psi-names-raw') FROM people");
$fed->expect_all_ok($res, '0', 'names spelt differently do not match as they are');
$res = $fed->run_all(
	"SELECT smpc_intersect_count(smpc_normalize_key(surname, 'soundex'), 'psi-soundex') FROM people");
$fed->expect_all_ok($res, '3', 'soundex links names that sound alike');
$res = $fed->run_all({ map { my $o = $dates{$_}[0];
	$_ => "SELECT smpc_intersect_count(smpc_normalize_key(born, '$o'), 'psi-dates') FROM people" }
	$fed->names });
$fed->expect_all_ok($res, '2', 'dates written in three orders link, each read in its own order');
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(smpc_normalize_key(surname, 'soundex'), 'psi-forms') FROM people",
	b => "SELECT smpc_intersect_count(smpc_normalize_key(surname, 'soundex'), 'psi-forms') FROM people",
	c => "SELECT smpc_intersect_count(smpc_normalize_key(surname, 'lower,trim'), 'psi-forms') FROM people" });
$fed->expect_all_fail($res, [], 'a phonetic form against a plain one');
like($res->{a}{stderr}, qr/party c computes intersect_count\(text\) normalized by trim,lower under this job id, this party computes intersect_count\(text\) normalized by soundex/,
	'a phonetic form against a plain one: the error names both');

# min_rows applies to the overlap: refused at every party, nothing released.
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 41)") for $fed->names;
$res = $fed->run_all("SELECT smpc_overlap_count(n, 3, 'psi-small') FROM customers");
$fed->expect_all_fail($res, [qr/SM00[0-9]/, qr/below the minimum of 41|fewer than 41|min_rows/], 'an overlap below min_rows');
$fed->expect_nothing_released('psi-small', 'an overlap below min_rows');
$res = $fed->run_all("SELECT smpc_overlap_count(n, 2, 'psi-big') FROM customers");
$fed->expect_all_ok($res, $two_of_three, 'an overlap above min_rows is released');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;

# Differential privacy: the count gets noise (a count: sensitivity 1) and
# is charged to the key column's budget at every party; every party gets
# the same noisy count.
$fed->psql($_, "SELECT smpc.set_privacy_budget('ico', 'n', 1)") for $fed->names;
$res = $fed->run_all("SET smpc.epsilon = 0.5; SELECT smpc_intersect_count(n, 'psi-dp') FROM customers");
my $dp = $fed->expect_all_ok($res, sub { $_[0] =~ /^-?\d+$/ }, 'a noisy intersection count');
is(scalar(keys %{ { map { $_ => 1 } values %$dp } }), 1, 'every party got the same noisy count');
cmp_ok(abs(($dp->{a} // 0) - $all3), '<', 200, 'the noisy count is near the overlap');
is($fed->psql($_, "SELECT sum(epsilon) FROM smpc.privacy_ledger WHERE dataset = 'n'"), '0.5',
	"the job was charged to n's budget at $_") for $fed->names;
$res = $fed->run_all("SET smpc.epsilon = 0.6; SELECT smpc_intersect_count(n, 'psi-dp2') FROM customers");
$fed->expect_all_fail($res, [qr/SM006: privacy budget exhausted/], 'the budget caps set jobs too');
$fed->psql($_, "SELECT smpc.drop_privacy_budget('ico', 'n')") for $fed->names;

# Intersection sums under bounds: they apply to each key's total at c (a
# column of its own, spend); a and b pass NULL, which takes the '*' entry,
# so every party declares '*' (their policies must agree). Exact first,
# each key's total clipped to 300 (and one below 100 left as it is: raising
# it would make keys without values add 100 each); then with noise (the
# sum's sensitivity:
# 2 parties that may give values times 300), charged to spend's budget at c
# and to n's at every party.
$fed->psql('c', "ALTER TABLE customers ADD COLUMN spend bigint; UPDATE customers SET spend = n * 10 + 7");
$fed->psql($_, "SELECT smpc.set_bounds('ico', '*', 100, 300)") for $fed->names;
my $clipped = $fed->psql('c', "SELECT sum(least(t, 300)) FROM "
	  . "(SELECT n, sum(spend) AS t FROM customers WHERE n < 40 GROUP BY n) x");
my %spend_sql = (a => "SELECT smpc_intersect_sum(n, NULL::bigint, '%s') FROM customers",
	b => "SELECT smpc_intersect_sum(n, NULL::bigint, '%s') FROM customers",
	c => "SELECT smpc_intersect_sum(n, spend, '%s') FROM customers");
$res = $fed->run_all({ map { $_ => sprintf($spend_sql{$_}, 'psi-sum-clip') } $fed->names });
$fed->expect_all_ok($res, $clipped, "intersection sum of c's key totals, each clipped to 300, none raised");
$fed->psql($_, "SELECT smpc.set_privacy_budget('ico', 'n', 1)") for $fed->names;
$fed->psql('c', "SELECT smpc.set_privacy_budget('ico', 'spend', 1)");
$res = $fed->run_all({ map { $_ => 'SET smpc.epsilon = 0.5; ' . sprintf($spend_sql{$_}, 'psi-sum-dp') }
	  $fed->names });
$dp = $fed->expect_all_ok($res, sub { $_[0] =~ /^-?\d+$/ }, 'a noisy intersection sum');
is(scalar(keys %{ { map { $_ => 1 } values %$dp } }), 1, 'every party got the same noisy sum');
# Scale 2 * 300 / 0.25 per party's share, three shares: a standard deviation
# of about 2400 * sqrt(6); 20 of them is far enough.
cmp_ok(abs(($dp->{a} // 0) - $clipped), '<', 20 * 2400 * sqrt(6), 'the noisy sum is near the clipped sum');
is($fed->psql($_, "SELECT sum(epsilon) FROM smpc.privacy_ledger WHERE dataset = 'n' AND job_id = 'psi-sum-dp'"),
	'0.5', "the noisy sum was charged to n's budget at $_") for $fed->names;
is($fed->psql('c', "SELECT sum(epsilon) FROM smpc.privacy_ledger WHERE dataset = 'spend' AND job_id = 'psi-sum-dp'"),
	'0.5', "the noisy sum was charged to spend's budget at c");
$fed->psql($_, "SELECT smpc.drop_privacy_budget('ico', 'n')") for $fed->names;
$fed->psql('c', "SELECT smpc.drop_privacy_budget('ico', 'spend')");
$fed->psql($_, "SELECT smpc.drop_bounds('ico', '*')") for $fed->names;

# Run once: a released job returns its result, a failed one is spent.
$res = $fed->run_all("SELECT smpc_intersect_count(email, 'psi-text') FROM customers");
$fed->expect_all_ok($res, $all3, 'a released set job id returns its result');
$res = $fed->run_all("SELECT smpc_union_count(uid, 'psi-types') FROM customers");
$fed->expect_all_fail($res, [qr/SM005/], 'a failed set job id is spent');

# A deviating party: b's blinded sets repeat an element. Every party stops.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(n, 'psi-evil') FROM customers",
	b => "SET smpc.test_fault = 'repeat_blinded'; SELECT smpc_intersect_count(n, 'psi-evil') FROM customers",
	c => "SELECT smpc_intersect_count(n, 'psi-evil') FROM customers" });
$fed->expect_all_fail($res, [], 'a repeated element in a blinded set');
like($res->{c}{stderr}, qr/a blinded set holds an element twice/,
	'the party after b refuses its set');
$fed->expect_nothing_released('psi-evil', 'a repeated element');

# A deviating party that drops an element of each partner's set it passes
# on (which would shrink the overlap): a, the counting party, sees both
# sets come back smaller than they went past it. Every party stops.
$res = $fed->run_all({
	a => "SELECT smpc_intersect_count(n, 'psi-drop') FROM customers",
	b => "SET smpc.test_fault = 'drop_blinded'; SELECT smpc_intersect_count(n, 'psi-drop') FROM customers",
	c => "SELECT smpc_intersect_count(n, 'psi-drop') FROM customers" });
$fed->expect_all_fail($res, [], 'elements dropped from blinded sets');
like($res->{a}{stderr}, qr/the blinded set of .* changed on its way round the ring/,
	'the counting party names the set that shrank');
$fed->expect_nothing_released('psi-drop', 'elements dropped');

# A set too large for the inbox is refused before anything is sent.
$fed->psql('a', "CREATE TABLE many AS SELECT g AS n FROM generate_series(1, 60000) g");
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_union_count(n, 'psi-big-inbox') FROM many");
like($err, qr/53400: job "psi-big-inbox" needs 708 inbox slots, more than smpc.max_messages \(256\)/,
	'a set larger than the inbox holds is refused up front');
# A cancel stops a party while it blinds: a statement_timeout of 300 ms at
# a, whose 20,000 keys take more than a second to blind.
my $t0 = Time::HiRes::time();
($rc, $out, $err) = $fed->try_psql('a', "SET statement_timeout = '300ms'; "
	  . "SELECT smpc_union_count(n, 'psi-cancel') FROM many WHERE n <= 20000");
like($err, qr/canceling statement due to statement timeout/, 'statement_timeout cancels a set job while it blinds');
cmp_ok(Time::HiRes::time() - $t0, '<', 1.2, 'and at once, not after blinding every key');
$fed->expect_nothing_released('psi-cancel', 'a cancelled set job');

# Out of range and misuse.
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_overlap_count(n, 4, 'psi-k') FROM customers");
like($err, qr/at_least must be between 1 and 3, the number of parties of federation "ico"/,
	'at_least beyond the federation');
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_normalize_key('x', 'metaphone')");
like($err, qr/unknown smpc_normalize_key option "metaphone"/, 'an unknown normalisation');
is($fed->psql('a', "SELECT smpc_normalize_key(E'  Ann\\tMarie  O''Neil ', 'trim,lower,alnum')"),
	'annmarieoneil', 'normalisation steps apply in their order');
is($fed->psql('a', "SELECT smpc_normalize_key('+44 (0)20 7946-0018', 'digits')"),
	'4402079460018', 'digits keeps digits only');
is($fed->psql('a', "SELECT smpc_normalize_key('ｆｕｌｌ　ｗｉｄｔｈ', 'nfkc,trim')"),
	'full width', 'nfkc folds compatibility characters');

$fed->stop_all;

# Five parties: the ring has four hops. (Other names: the three servers'
# data directories stay.)
my @five = qw(v w x y z);
my $five = SmpcTest->new(parties => \@five, federation => 'five', timeout => '20s');
my %k5;
for my $i (0 .. 4)
{
	my $p = $five[$i];
	# 0..24 everywhere, 100+i.. at parties i and i+1 (mod 5), own keys.
	my @k = (0 .. 24, map({ 100 * ($i + 1) + $_ } 0 .. 9),
		map({ 100 * ((($i + 4) % 5) + 1) + $_ } 0 .. 9), map({ 1000 * ($i + 1) + $_ } 0 .. 5 * $i));
	$five->psql($p, "CREATE TABLE t AS SELECT n::bigint AS n FROM unnest(ARRAY[" . join(',', @k) . "]) n");
}
$res = $five->run_all("SELECT smpc_intersect_count(n, 'five-all') FROM t");
$five->expect_all_ok($res, '25', 'five parties: the intersection count');
$res = $five->run_all("SELECT smpc_overlap_count(n, 2, 'five-two') FROM t");
$five->expect_all_ok($res, 25 + 50, 'five parties: held by at least 2');
$res = $five->run_all("SELECT smpc_union_count(n, 'five-any') FROM t");
$five->expect_all_ok($res, 25 + 50 + (1 + 6 + 11 + 16 + 21), 'five parties: the union');
$res = $five->run_all({ map { my $v = $_ eq 'x' ? 'n * 3' : 'NULL::bigint';
	$_ => "SELECT smpc_intersect_sum(n, $v, 'five-sum') FROM t" } @five });
$five->expect_all_ok($res, 3 * 300, "five parties: the intersection sum of x's values");
# By parity, values at x (n * 3) and z (n): 0..24 even sum to 156, odd to 144.
$res = $five->run_all({ map { my $v = $_ eq 'x' ? 'n * 3' : $_ eq 'z' ? 'n' : 'NULL::bigint';
	$_ => "SELECT string_agg(key || '=' || value, ' ' ORDER BY key) FROM unnest((SELECT "
	  . "smpc_intersect_sum_by(n, CASE WHEN n % 2 = 0 THEN 'even' ELSE 'odd' END, $v, "
	  . "ARRAY['even', 'odd'], 'five-sum-by') FROM t))" } @five });
$five->expect_all_ok($res, 'even=' . (4 * 156) . ' odd=' . (4 * 144),
	"five parties: intersection sums by parity of x's and z's values");
# Neighbours round the ring share 25 + 10 keys, the others 25.
$five->psql($_, "SELECT smpc.set_overlap_pairs('five')") for @five;
$res = $five->run_all("SELECT string_agg(party_a || party_b || '=' || shared_keys, ' ' ORDER BY i) "
	  . "FROM unnest((SELECT smpc_overlap_matrix(n, 'five-pairs') FROM t)) WITH ORDINALITY "
	  . "AS u(party_a, party_b, shared_keys, suppressed, i)");
$five->expect_all_ok($res, 'vw=35 vx=25 vy=25 vz=35 wx=35 wy=25 wz=25 xy=35 xz=25 yz=35',
	'five parties: the overlap matrix');
$five->stop_all;

done_testing();
