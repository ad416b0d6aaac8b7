# Analytics beyond one sum, each checked against plain PostgreSQL over the
# union of all parties' rows: variances and standard deviations for every
# input type, grouped aggregates over a declared key domain, histograms and
# percentiles.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '20s');
my @names = $fed->names;

# The rows of party number $k (1, 2, 3): every type, negatives, NULLs, and
# a region among five (the last one, 'islands', only at party c).
sub rows_of
{
	my ($k) = @_;
	my $n = 150 + 70 * $k;
	return <<"EOS";
SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE ((i * 7 + $k) % 300 - 100)::smallint END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 37 + $k * 11) % 10000 - 2500 END,
       (i::bigint * 1000003 + $k) % 100000007 - 5000000,
       ((i * 13 + $k) % 100000) / 100.0 - 200,
       ((i * 17 + $k) % 1000) / 8.0 - 30,
       CASE WHEN $k = 3 AND i % 9 = 0 THEN 'islands'
            ELSE (ARRAY['north', 'south', 'east', 'west'])[1 + (i * $k + i / 3) % 4] END
FROM generate_series(1, $n) i
EOS
}

my $columns = 'i2 smallint, i4 integer, i8 bigint, num numeric(14,2), f8 double precision, region text';
for my $k (1 .. 3)
{
	my $p = $names[ $k - 1 ];
	$fed->psql($p, "CREATE TABLE t ($columns); INSERT INTO t " . rows_of($k));
}
# Plain PostgreSQL's view of the same rows, kept apart at party a.
$fed->psql('a', "CREATE TABLE union_t ($columns);"
	  . join('', map { 'INSERT INTO union_t ' . rows_of($_) . ';' } 1 .. 3));

# Whether $got is within a relative 1e-9 of $want (both numeric text).
sub close_to
{
	my ($got, $want) = @_;
	return $got eq $want if $got eq '' || $want eq '';
	return $fed->psql('a',
		"SELECT abs('$got'::numeric - '$want'::numeric) <= 1e-9 * greatest(1, abs('$want'::numeric))")
	  eq 't';
}

# Runs one SELECT of several smpc aggregates at every party; each party's
# row must match, column by column, what $plain computes over union_t.
sub compare_all
{
	my ($label, $smpc, $plain) = @_;
	my $res = $fed->run_all("SELECT $smpc FROM t");
	my $want = $fed->psql('a', "SELECT $plain FROM union_t");
	my @want = split /\|/, $want, -1;
	for my $p (@names)
	{
		is($res->{$p}{rc}, 0, "$label: party $p succeeded")
		  or diag($res->{$p}{stderr});
		my @got = split /\|/, $res->{$p}{stdout} // '', -1;
		is(scalar(@got), scalar(@want), "$label: party $p has every column");
		for my $i (0 .. $#want)
		{
			ok(close_to($got[$i] // '', $want[$i]), "$label: party $p, column $i")
			  or diag("got [$got[$i]], PostgreSQL says [$want[$i]]");
		}
	}
	return;
}

# Runs $smpc (one value) at every party and compares with $plain at party a.
sub compare_rows
{
	my ($label, $smpc, $plain) = @_;
	my $res = $fed->run_all($smpc);
	my $want = $fed->psql('a', $plain);
	$fed->expect_all_ok($res, $want, $label);
	return;
}

# Variances and standard deviations: six aggregates, five types, one job each.
for my $agg (qw(variance var_samp var_pop stddev stddev_samp stddev_pop))
{
	my @cols = qw(i2 i4 i8 num f8);
	compare_all(
		"smpc_$agg",
		join(', ', map { "smpc_$agg($_, '$agg-$_')" } @cols),
		join(', ', map { "$agg($_)" } @cols));
}

# A job id released for one of the six answers the others from the same values.
my $res = $fed->run_all("SELECT smpc_var_pop(i4, 'variance-i4') FROM t");
my $want = $fed->psql('a', 'SELECT var_pop(i4) FROM union_t');
for my $p (@names)
{
	ok(close_to($res->{$p}{stdout}, $want), "party $p: var_pop from the stored variance job");
}

# One row: the sample variance is NULL, as in PostgreSQL; no rows: NULL too.
$res = $fed->run_all({ map { $_ => "SELECT smpc_var_samp(i4, 'one-row') IS NULL, "
	  . "smpc_var_pop(i4, 'one-row-pop') = 0 FROM t WHERE "
	  . ($_ eq 'a' ? 'i4 = (SELECT min(i4) FROM t)' : 'false') } @names });
$fed->expect_all_ok($res, 't|t', 'one row: var_samp NULL, var_pop 0');

# Large double precision values keep their spread (squares summed exactly,
# not in double precision, where 1e8 + {0, 1, 2} would lose it).
my %near = (a => 100000000, b => 100000001, c => 100000002);
$fed->psql($_, "CREATE TABLE near (v double precision); INSERT INTO near VALUES ($near{$_})") for @names;
$res = $fed->run_all("SELECT smpc_var_samp(v, 'near-1e8'), smpc_stddev_pop(v, 'near-1e8-pop') FROM near");
$fed->expect_all_ok($res, '1|' . $fed->psql('a', 'SELECT stddev_pop(v) FROM (VALUES (1e8::float8), (100000001), (100000002)) x(v)'),
	'variance of values near 1e8 is exact');

# Squares that do not fit in 128 bits are an error, never a wrap.
$fed->psql($_, "CREATE TABLE huge (v bigint); INSERT INTO huge SELECT 9000000000000000000 FROM generate_series(1, 4)")
  for @names;
my ($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_variance(v, 'huge') FROM huge");
isnt($rc, 0, 'overflowing sum of squares fails');
like($err, qr/22003/, 'overflow is SQLSTATE 22003 (numeric value out of range)');

# ---- grouped results over a declared key domain --------------------------

my $domain = "ARRAY['north', 'south', 'east', 'west', 'islands']";

# Runs a grouped aggregate at every party and compares its rows (key, value)
# with $plain (rows key|value over union_t); keys without rows in $plain
# must come back as $empty.
sub compare_groups
{
	my ($label, $agg, $plain, %o) = @_;
	my $res = $fed->run_all(
		($o{prefix} // '') . "SELECT key, coalesce(value::text, 'NULL'), suppressed FROM unnest((SELECT $agg FROM t)) ORDER BY key COLLATE \"C\"");
	my %want = map { my ($k, $v) = split /\|/, $_, -1; ($k => $v) }
	  split /\n/, $fed->psql('a', $plain);
	for my $p (@names)
	{
		is($res->{$p}{rc}, 0, "$label: party $p succeeded") or diag($res->{$p}{stderr});
		my @rows = split /\n/, $res->{$p}{stdout} // '';
		is(scalar(@rows), $o{keys} // 5, "$label: party $p has a row per key");
		for my $row (@rows)
		{
			my ($k, $v, $sup) = split /\|/, $row, -1;
			my $w = $o{suppressed}{$k} ? 'NULL' : $want{$k} // $o{empty} // '0';
			is($sup, $o{suppressed}{$k} ? 't' : 'f', "$label: party $p, key $k suppressed?");
			ok($v eq $w || ($v ne 'NULL' && $w ne 'NULL' && close_to($v, $w)),
				"$label: party $p, key $k") or diag("got [$v], PostgreSQL says [$w]");
		}
	}
	return $res;
}

for my $col (qw(i2 i4 i8 num f8))
{
	compare_groups("smpc_sum_by($col)", "smpc_sum_by(region, $col, $domain, 'g-sum-$col')",
		"SELECT region, sum($col) FROM union_t GROUP BY region");
	compare_groups("smpc_avg_by($col)", "smpc_avg_by(region, $col, $domain, 'g-avg-$col')",
		"SELECT region, avg($col) FROM union_t GROUP BY region", empty => 'NULL');
}
compare_groups('smpc_count_by', "smpc_count_by(region, $domain, 'g-count')",
	"SELECT region, count(*) FROM union_t GROUP BY region");

# The domain from a table, in another order: the same job.
$fed->psql($_, "CREATE TABLE regions (name text); INSERT INTO regions VALUES ('west'), ('islands'), ('east'), ('south'), ('north')")
  for @names;
compare_groups('domain from a table',
	"smpc_count_by(region, (SELECT array_agg(name) FROM regions), 'g-count-table')",
	"SELECT region, count(*) FROM union_t GROUP BY region");

# Rows come in byte order of the keys, whatever order the domain lists
# them in: shorter keys first, ties in the first 8 bytes, multibyte keys.
my $tricky = "ARRAY['abcdefghb', 'abcdefgh', '', 'é', 'Z', 'abcdefgha', 'ab', 'a', 'zz', 'abcdefghab', 'abcdefgi']";
# Rows of some of those keys, and of keys that only share a prefix with
# one, at each party: each key's count is exact.
my $tricky_rows = "VALUES ('abcdefgh'), ('abcdefgh'), ('abcdefghab'), (''), ('é'), ('abcdefghabc'), ('abcdefg'), ('abcdefghi')";
$fed->psql($_, "CREATE TABLE tricky AS SELECT column1 AS k FROM ($tricky_rows) v") for @names;
my $ordered = $fed->psql('a', "SELECT string_agg(k || '=' || (3 * (SELECT count(*) FROM ($tricky_rows) v WHERE column1 = k)), '|' ORDER BY k COLLATE \"C\") FROM unnest($tricky) k");
$res = $fed->run_all("SET smpc.outside_domain = drop; SELECT string_agg(key || '=' || value, '|' ORDER BY n) "
	  . "FROM unnest((SELECT smpc_count_by(k, $tricky, 'g-order') FROM tricky)) WITH ORDINALITY AS u(key, value, suppressed, n)");
for my $p (@names)
{
	is($res->{$p}{rc}, 0, "byte order: party $p succeeded") or diag($res->{$p}{stderr});
	is($res->{$p}{stdout}, $ordered, "byte order: party $p returns the keys in byte order, each with its count");
	like($res->{$p}{stderr}, qr/3 rows with a key outside the job's domain were left out/,
		"byte order: party $p left out the keys that only share a prefix");
}

# Keys no party has: a row each, zero (sums, counts) or NULL (averages).
compare_groups('keys without rows',
	"smpc_avg_by(region, i4, $domain || ARRAY['nowhere', 'atlantis'], 'g-empty')",
	"SELECT region, avg(i4) FROM union_t GROUP BY region", keys => 7, empty => 'NULL');

# A minimum row count suppresses the small cells: 'islands' has fewer rows
# than 50 (all at party c); nothing of it is released, the rest is exact.
my $islands = $fed->psql('a', "SELECT count(*) FROM union_t WHERE region = 'islands'");
cmp_ok($islands, '<', 50, "'islands' is a small cell ($islands rows)");
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 50)") for @names;
compare_groups('min_rows suppresses small cells',
	"smpc_sum_by(region, i8, $domain, 'g-small')",
	"SELECT region, sum(i8) FROM union_t GROUP BY region", suppressed => { islands => 1 });
compare_groups('min_rows: counts suppressed too',
	"smpc_count_by(region, $domain, 'g-small-count')",
	"SELECT region, count(*) FROM union_t GROUP BY region", suppressed => { islands => 1 });
for my $p (@names)
{
	like($fed->psql($p, "SELECT result FROM smpc.jobs WHERE job_id = 'g-small'"),
		qr/^[-0-9]+,[0-9]+,-,-,/, "party $p stores the suppressed cell as '-'");
}
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for @names;

# Keys outside the domain: rejected before anything is sent, or dropped.
($rc, $out, $err) = $fed->try_psql('c',
	"SELECT smpc_count_by(region, ARRAY['north', 'south', 'east', 'west'], 'g-out') FROM t");
isnt($rc, 0, 'a key outside the domain fails the query');
like($err, qr/22023: group key "islands" is not in the job's key domain/, 'and names the key');
like($err, qr/HINT:  .*smpc\.outside_domain = drop/, 'and says how to drop such rows');
my $res4 = compare_groups('smpc.outside_domain = drop',
	"smpc_count_by(region, ARRAY['north', 'south', 'east', 'west'], 'g-drop')",
	"SELECT region, count(*) FROM union_t WHERE region <> 'islands' GROUP BY region",
	keys => 4, prefix => "SET smpc.outside_domain = drop;\n");
like($res4->{c}{stderr}, qr/NOTICE:  .*rows with a key outside the job's domain were left out/,
	'party c is told how many rows it left out');

# Different domains at different parties: the job is refused everywhere.
$res = $fed->run_all({ map { $_ => "SET smpc.outside_domain = drop; SELECT smpc_count_by(region, "
	  . ($_ eq 'c' ? "ARRAY['north', 'south']" : $domain) . ", 'g-mismatch') FROM t" } @names });
for my $p (@names)
{
	isnt($res->{$p}{rc}, 0, "different domains: party $p fails");
}
like($res->{a}{stderr} . $res->{b}{stderr}, qr/declared different key domains/,
	'different domains: the error says so');

# Duplicate keys in the domain are an error.
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_count_by(region, ARRAY['x', 'x'], 'g-dup') FROM t");
like($err, qr/lists "x" twice/, 'a domain with a key twice is refused');

# Many groups in one job: 20,000 keys (shares of 640 kB, over several inbox
# slots), checked against PostgreSQL key by key.
for my $k (1 .. 3)
{
	$fed->psql($names[ $k - 1 ],
		"CREATE TABLE many AS SELECT 'k' || ((i * 7919 + $k) % 20000) AS key, i AS v FROM generate_series(1, 30000 * $k) i");
}
$fed->psql('a', 'CREATE TABLE union_many AS '
	  . join(' UNION ALL ', map { "SELECT 'k' || ((i * 7919 + $_) % 20000) AS key, i AS v FROM generate_series(1, 30000 * $_) i" } 1 .. 3));
my $many_domain = "(SELECT array_agg('k' || g) FROM generate_series(0, 19999) g)";
$res = $fed->run_all("SELECT string_agg(key || '=' || value, ',' ORDER BY key COLLATE \"C\") FROM unnest((SELECT smpc_sum_by(key, v, $many_domain, 'g-many') FROM many))");
$want = $fed->psql('a', "SELECT string_agg(key || '=' || s, ',' ORDER BY key COLLATE \"C\") FROM (SELECT key, sum(v) s FROM union_many GROUP BY key) x");
for my $p (@names)
{
	is($res->{$p}{rc}, 0, "20,000 groups: party $p succeeded") or diag($res->{$p}{stderr});
	ok($res->{$p}{stdout} eq $want, "20,000 groups: party $p has every key's exact sum");
	cmp_ok($res->{$p}{secs}, '<', 10, "20,000 groups: party $p finished in $res->{$p}{secs} s");
}
# A session keeps its last key domain (smpc.key_domain_cache) with its
# index: the same domain again, another domain in the same query (the kept
# one may not be freed while the query's first aggregate still points into
# it: test builds wipe a dropped domain's keys), another domain alone (which
# replaces it), the first again, and none kept. Every result is exact.
my $other_domain = "($many_domain || ARRAY['zz-extra'])";
my $rows_of = sub { "(SELECT string_agg(key || '=' || value, ',' ORDER BY key COLLATE \"C\") FROM unnest($_[0]) WHERE key <> 'zz-extra')" };
$res = $fed->run_all(join(";\n",
	"SELECT " . $rows_of->("(SELECT smpc_sum_by(key, v, $many_domain, 'g-cache-1') FROM many)"),
	"SELECT " . $rows_of->("(SELECT smpc_sum_by(key, v, $many_domain, 'g-cache-2') FROM many)"),
	"SELECT " . $rows_of->('x.a') . " || '/' || " . $rows_of->('x.b')
	  . " FROM (SELECT smpc_sum_by(key, v, $many_domain, 'g-cache-3') a, smpc_sum_by(key, v, $other_domain, 'g-cache-4') b FROM many) x",
	"SELECT " . $rows_of->("(SELECT smpc_sum_by(key, v, $other_domain, 'g-cache-5') FROM many)"),
	"SELECT " . $rows_of->("(SELECT smpc_sum_by(key, v, $many_domain, 'g-cache-6') FROM many)"),
	"SET smpc.key_domain_cache = 0; SELECT " . $rows_of->("(SELECT smpc_sum_by(key, v, $many_domain, 'g-cache-7') FROM many)")));
for my $p (@names)
{
	is($res->{$p}{rc}, 0, "kept key domains: party $p succeeded") or diag($res->{$p}{stderr});
	my @lines = split /\n/, $res->{$p}{stdout} // '';
	is(scalar(@lines), 6, "kept key domains: party $p ran six jobs");
	ok($lines[$_] eq ($_ == 2 ? "$want/$want" : $want), "kept key domains: party $p, job " . ($_ + 1) . " is exact")
	  for 0 .. $#lines;
}
$fed->wait_audit('a', "job_id = 'g-many'", 1);
like($fed->psql('a', "SELECT result FROM smpc.audit_log WHERE job_id = 'g-many' AND outcome <> 'opened'"),
	qr/^20000 values, sha256 [0-9a-f]{64} \(in smpc.jobs\)$/, 'the audit log keeps a digest of long results');

# Integer sums and counts look their rows' keys up in batches of 32
# (row_batch.cpp); a key over 24 bytes is looked up alone, after the rows
# before it. Rows of short and long keys, NULL keys and keys outside the
# domain interleaved, at each party a count of rows that no batch fills up:
# every sum and count is exact, every left-out row counted.
my $mixed_key = "CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN 'outside-' || i % 3 "
  . "WHEN i % 10 = 2 THEN 'a-long-key-outside-the-domain-' || i % 2 WHEN i % 10 < 7 THEN 'short-' || i % 7 "
  . "ELSE 'a-key-longer-than-twenty-four-bytes-' || i % 5 END";
for my $k (1 .. 3)
{
	$fed->psql($names[ $k - 1 ], "CREATE TABLE mixed AS SELECT $mixed_key AS key, i * $k AS v FROM generate_series(1, 997 * $k) i");
}
$fed->psql('a', 'CREATE TABLE union_mixed AS '
	  . join(' UNION ALL ', map { "SELECT $mixed_key AS key, i * $_ AS v FROM generate_series(1, 997 * $_) i" } 1 .. 3));
my $mixed_domain = "(SELECT array_agg('short-' || g) || array_agg('a-key-longer-than-twenty-four-bytes-' || g) "
  . "|| ARRAY['never-seen'] FROM generate_series(0, 6) g)";
my $in_mixed = "key IN (SELECT unnest($mixed_domain))";
$res = $fed->run_all("SET smpc.outside_domain = drop;\n"
	  . "SELECT string_agg(s.key || '=' || s.value || '/' || c.value, ',' ORDER BY s.key COLLATE \"C\") "
	  . "FROM unnest((SELECT smpc_sum_by(key, v, $mixed_domain, 'g-batch-sum') FROM mixed)) s "
	  . "JOIN unnest((SELECT smpc_count_by(key, $mixed_domain, 'g-batch-count') FROM mixed)) c USING (key)");
$want = $fed->psql('a', "SELECT string_agg(d || '=' || coalesce(s, 0) || '/' || coalesce(c, 0), ',' ORDER BY d COLLATE \"C\") "
	  . "FROM unnest($mixed_domain) d LEFT JOIN (SELECT key, sum(v) s, count(*) c FROM union_mixed GROUP BY key) x ON x.key = d");
for my $p (@names)
{
	is($res->{$p}{rc}, 0, "batched lookups: party $p succeeded") or diag($res->{$p}{stderr});
	is($res->{$p}{stdout}, $want, "batched lookups: party $p has every key's exact sum and count");
	my $left_out = $fed->psql($p, "SELECT count(*) FROM mixed WHERE key IS NULL OR NOT $in_mixed");
	my @notices = $res->{$p}{stderr} =~ /(\d+) rows with a key outside the job's domain were left out/g;
	is("@notices", "$left_out $left_out", "batched lookups: party $p left out its $left_out rows, in both jobs");
}
# The error names the first key outside the domain in row order, batched or not.
for my $case ([ 'a-long-key-outside-the-domain', 'outside-y' ], [ 'outside-y', 'a-long-key-outside-the-domain' ])
{
	my ($first, $second) = @$case;
	$fed->psql('a', "DROP TABLE IF EXISTS ordered; CREATE TABLE ordered AS SELECT k FROM (SELECT 'short-1' k, g "
		  . "FROM generate_series(1, 40) g UNION ALL VALUES ('$first', 41), ('$second', 42)) x ORDER BY g");
	($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_count_by(k, $mixed_domain, 'g-batch-order') FROM ordered");
	like($err, qr/22023: group key "\Q$first\E" is not in the job's key domain/,
		"batched lookups: the error names \"$first\", the first key outside the domain");
}
# PostgreSQL calls an Agg node's final functions one after another, each
# running its job. A key outside the domain in the last, partial batch of a
# later aggregate fails the query before the job of an earlier one (a sum,
# a set job) sends anything: otherwise that job would start alone here and
# wait for partners that never run it, and the error would be its timeout.
$fed->psql('a', "CREATE TABLE tail AS SELECT k, 1 AS v FROM (SELECT 'short-1' k, g FROM generate_series(1, 40) g "
	  . "UNION ALL VALUES ('outside-y', 41)) x ORDER BY g");
for my $first ("smpc_sum(v, 'g-tail-sum')", "smpc_intersect_count(k, 'g-tail-set')")
{
	my $t0 = time;
	($rc, $out, $err) = $fed->try_psql('a',
		"SET smpc.timeout = '3s'; SELECT $first, smpc_count_by(k, $mixed_domain, 'g-tail-count') FROM tail");
	like($err, qr/22023: group key "outside-y" is not in the job's key domain/,
		"batched lookups: an outside key in a later aggregate's last batch fails the query before $first runs");
	cmp_ok(time - $t0, '<', 3, "batched lookups: ... at once, without waiting for partners");
}

# ---- histograms and percentiles ---------------------------------------------

my %edges = (
	i2 => 'ARRAY[-50, 0, 50, 100, 150]',
	i4 => 'ARRAY[-2000, -1000, 0, 1000, 2500.5, 5000]',
	i8 => 'ARRAY[-4000000, 0, 30000000, 60000000]',
	num => 'ARRAY[-150, -0.01, 0, 99.99, 500]',
	f8 => 'ARRAY[-20, 0, 10.5, 50, 100]');
for my $col (sort keys %edges)
{
	my $e = $edges{$col};
	my $k = () = $e =~ /,/g;
	$k += 1;
	my $cast = $col eq 'f8' ? 'double precision' : 'numeric';
	compare_rows("smpc_histogram($col)",
		"SELECT string_agg(coalesce(count::text, 'NULL') || ':' || suppressed, ',' ORDER BY n) "
		  . "FROM unnest((SELECT smpc_histogram($col, $e, 'h-$col') FROM t)) WITH ORDINALITY u(lo, hi, count, suppressed, n)",
		"SELECT string_agg(coalesce(c, 0) || ':false', ',' ORDER BY b) FROM generate_series(0, $k) b "
		  . "LEFT JOIN (SELECT width_bucket(${col}::$cast, ($e)::${cast}[]) b, count(*) c FROM union_t "
		  . "WHERE $col IS NOT NULL GROUP BY 1) x USING (b)");
}

# Under min_rows, small buckets are suppressed; the others stay exact.
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 50)") for @names;
$res = $fed->run_all("SELECT string_agg(coalesce(count::text, 'NULL'), ',') FROM "
	  . "unnest((SELECT smpc_histogram(i2, ARRAY[-100, -99, 0, 200], 'h-small') FROM t))");
$want = $fed->psql('a', "SELECT string_agg(CASE WHEN coalesce(c, 0) < 50 THEN 'NULL' ELSE c::text END, ',' ORDER BY b) "
	  . "FROM generate_series(0, 4) b LEFT JOIN (SELECT width_bucket(i2, ARRAY[-100, -99, 0, 200]::smallint[]) b, count(*) c "
	  . "FROM union_t WHERE i2 IS NOT NULL GROUP BY 1) x USING (b)");
like($want, qr/NULL/, 'some bucket is below 50 rows');
$fed->expect_all_ok($res, $want, 'min_rows suppresses small buckets');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for @names;

# Percentiles from a histogram: every bound holds the exact percentile_disc,
# and the estimate is within the bucket's width of it.
my $fractions = 'ARRAY[0, 0.1, 0.25, 0.5, 0.9, 0.99, 1]';
my %grid = (
	i4 => 'ARRAY(SELECT g::numeric FROM generate_series(-2500, 7500, 250) g)',
	num => 'ARRAY(SELECT g / 4.0 FROM generate_series(-800, 1200, 10) g)',
	f8 => 'ARRAY[-25, -10, 0, 10, 20, 40, 60, 80, 95]');
for my $col (sort keys %grid)
{
	$res = $fed->run_all("SELECT fraction, value, coalesce(lower::text, ''), coalesce(upper::text, '') "
		  . "FROM unnest((SELECT smpc_percentiles($col, $fractions, $grid{$col}, 'p-$col') FROM t))");
	for my $p (@names)
	{
		is($res->{$p}{rc}, 0, "smpc_percentiles($col): party $p succeeded") or diag($res->{$p}{stderr});
		my @rows = split /\n/, $res->{$p}{stdout} // '';
		is(scalar(@rows), 7, "smpc_percentiles($col): party $p has every fraction");
		for my $row (@rows)
		{
			my ($f, $v, $lo, $hi) = split /\|/, $row, -1;
			my $lo_sql = $lo eq '' ? 'NULL' : "${lo}::numeric";
			my $hi_sql = $hi eq '' ? 'NULL' : "${hi}::numeric";
			is($fed->psql('a', "SELECT ($lo_sql IS NULL OR $lo_sql <= d) AND ($hi_sql IS NULL OR d < $hi_sql) "
				  . "AND ($lo_sql IS NULL OR $hi_sql IS NULL OR abs($v - d) <= $hi_sql - $lo_sql) "
				  . "FROM (SELECT (percentile_disc($f) WITHIN GROUP (ORDER BY $col))::numeric d FROM union_t) x"),
				't', "smpc_percentiles($col): party $p, fraction $f bounds the exact percentile");
		}
	}
}
# A histogram's job id answers smpc_percentiles from the same counts.
$res = $fed->run_all("SELECT count(*) FROM unnest((SELECT smpc_percentiles(i4, ARRAY[0.5], $edges{i4}, 'h-i4') FROM t))");
$fed->expect_all_ok($res, '1', 'percentiles from a stored histogram');

# Bad edges and fractions are refused before anything is sent.
for my $bad (["ARRAY[1, 1]", qr/strictly ascending/], ["ARRAY[2, 1]", qr/strictly ascending/],
	["ARRAY[1, NULL]", qr/must not be NULL/], ["ARRAY[1, 'NaN'::numeric]", qr/finite/],
	["'{}'::numeric[]", qr/1 to 32767 bucket edges/])
{
	($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_histogram(i4, $bad->[0], 'h-bad') FROM t");
	like($err, $bad->[1], "histogram edges $bad->[0] are refused");
}
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_percentiles(i4, ARRAY[1.5], ARRAY[0], 'p-bad') FROM t");
like($err, qr/22003: percentile fractions must be between 0 and 1/, 'a fraction above 1 is refused');

done_testing();
