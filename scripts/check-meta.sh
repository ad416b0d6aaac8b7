#!/usr/bin/env bash
# Check the package metadata against the PGXN Meta Spec 1.0.0 and against
# smpc.control, so a release cannot ship with three different versions:
#   - META.json is valid JSON with the spec's required keys and value forms
#     (name, abstract, version, maintainer, license, provides{<ext>{file,
#     version}}, meta-spec{version}), its versions are default_version, and
#     every file it names exists;
#   - debian/changelog's newest entry is default_version (the .deb's version).
# `make deb` and `make test` run it.  Uses perl's JSON::PP (perl-modules).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "check-meta: error: $*" >&2; exit 1; }

VERSION=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$ROOT/smpc.control")
[[ -n $VERSION ]] || die "no default_version in smpc.control"

perl -MJSON::PP -e '
	use strict;
	use warnings;
	my ($root, $want) = @ARGV;
	my @err;
	my $text = do { local $/; open my $fh, "<", "$root/META.json" or die "META.json: $!\n"; <$fh> };
	my $m = eval { JSON::PP->new->utf8->relaxed(0)->decode($text) };
	die "META.json is not valid JSON: $@" unless $m;
	die "META.json: not a JSON object\n" unless ref $m eq "HASH";

	# Forms from the spec: a term has no slash, backslash, space or control
	# character and at least two characters; versions are semantic versions.
	my $term   = qr{^[^/\\\s[:cntrl:]]{2,}$};
	my $semver = qr{^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$};
	my %license = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd
		gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5
		postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
	my $str = sub { defined $_[0] && !ref $_[0] && length $_[0] };

	for my $k (qw(name abstract version maintainer license provides meta-spec)) {
		push @err, "required key \"$k\" missing" unless exists $m->{$k};
	}
	push @err, "name must be a term" unless $str->($m->{name}) && $m->{name} =~ $term;
	push @err, "abstract must be a non-empty string" unless $str->($m->{abstract});
	push @err, "version \"" . ($m->{version} // "") . "\" is not $want (smpc.control default_version)"
		unless $str->($m->{version}) && $m->{version} eq $want;
	push @err, "version must be a semantic version" unless $str->($m->{version}) && $m->{version} =~ $semver;
	my $mt = $m->{maintainer};
	push @err, "maintainer must be a string or a list of strings"
		unless $str->($mt) || (ref $mt eq "ARRAY" && @$mt && !grep { !$str->($_) } @$mt);
	my $lic = $m->{license};
	push @err, "license must be one of the spec'"'"'s names, a list of them, or {name: URL}"
		unless ($str->($lic) && $license{$lic})
		|| (ref $lic eq "ARRAY" && @$lic && !grep { !$str->($_) || !$license{$_} } @$lic)
		|| (ref $lic eq "HASH" && %$lic && !grep { !$str->($_) || !m{^[a-z][a-z0-9+.-]*:} } values %$lic);
	my $ms = $m->{"meta-spec"};
	push @err, "meta-spec.version must be 1.0.0" unless ref $ms eq "HASH" && ($ms->{version} // "") eq "1.0.0";
	my $p = $m->{provides};
	if (ref $p eq "HASH" && %$p) {
		push @err, "provides.smpc missing" unless $p->{smpc};
		for my $ext (sort keys %$p) {
			my $e = $p->{$ext};
			push @err, "provides key \"$ext\" must be a term" unless $ext =~ $term;
			unless (ref $e eq "HASH") { push @err, "provides.$ext must be an object"; next; }
			for my $k (sort keys %$e) {
				push @err, "provides.$ext.$k is not a key of the spec"
					unless $k =~ /^(file|version|abstract|docfile|[xX]_.+)$/;
			}
			push @err, "provides.$ext.version \"" . ($e->{version} // "") . "\" is not $want"
				unless $str->($e->{version}) && $e->{version} eq $want;
			for my $k (qw(file docfile)) {
				next if $k eq "docfile" && !exists $e->{$k};
				push @err, "provides.$ext.$k \"" . ($e->{$k} // "") . "\" is not a file of the repository"
					unless $str->($e->{$k}) && $e->{$k} !~ m{^/|\.\.} && -f "$root/$e->{$k}";
			}
		}
	} else {
		push @err, "provides must be a non-empty object";
	}
	for my $k (sort keys %$m) {
		push @err, "\"$k\" is not a key of the spec (custom keys start with x_ or X_)"
			unless $k =~ /^(name|abstract|description|version|maintainer|license|provides|meta-spec|prereqs|release_status|generated_by|tags|no_index|resources|[xX]_.+)$/;
	}
	push @err, "release_status must be stable, testing or unstable"
		if exists $m->{release_status} && ($m->{release_status} // "") !~ /^(stable|testing|unstable)$/;
	if (exists $m->{tags}) {
		push @err, "tags must be a list of strings of 2 to 255 characters without slash or control characters"
			unless ref $m->{tags} eq "ARRAY" && !grep { !$str->($_) || length > 255 || !m{^[^/\\[:cntrl:]]{2,}$} } @{ $m->{tags} };
	}
	die join("", map { "META.json: $_\n" } @err) if @err;
' "$ROOT" "$VERSION" || die "META.json does not follow the PGXN Meta Spec 1.0.0 (errors above)"

# The newest debian/changelog entry: "smpc (<version>) <distribution>; ...".
deb_version=$(sed -n '1s/^smpc (\([^)]*\)).*/\1/p' "$ROOT/debian/changelog")
[[ $deb_version == "$VERSION" ]] ||
	die "debian/changelog's newest entry is '$deb_version', smpc.control's default_version is '$VERSION': add an entry for $VERSION at the top of debian/changelog"

echo "check-meta: META.json (PGXN Meta Spec 1.0.0) and debian/changelog agree with smpc.control: $VERSION"
