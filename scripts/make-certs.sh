#!/usr/bin/env bash
# Make a throwaway certificate authority and one TLS server certificate per
# party, for tests and the demo.  NOT for production use.
#
#   scripts/make-certs.sh DIR PARTY...
#
# Writes DIR/ca.crt, DIR/ca.key and, per party, DIR/PARTY.crt and
# DIR/PARTY.key (keys mode 0600).  Server certificates have CN=localhost and
# subjectAltName DNS:localhost, IP:127.0.0.1, so libpq's sslmode=verify-full
# accepts them for host=127.0.0.1 or host=localhost.  Idempotent: files that
# already exist and verify against DIR/ca.crt are kept.
set -euo pipefail

die() { echo "make-certs: error: $*" >&2; exit 1; }

(($# >= 1)) || die "usage: $0 DIR [PARTY...]"
dir=$1
shift
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install openssl)"

for party in "$@"; do
	[[ $party =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad party name '$party' (letters, digits, _ . - only)"
	[[ $party != ca ]] || die "party name 'ca' is reserved"
done

mkdir -p "$dir"
umask 077
days=3650
log=$(mktemp "${TMPDIR:-/tmp}/make-certs.XXXXXX")
trap 'rm -f "$log" "$dir"/*.csr "$dir"/*.ext' EXIT

# Run openssl quietly; show its output only when it fails.
ossl() {
	if ! openssl "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "openssl $1 failed"
	fi
}

if [[ ! -s $dir/ca.crt || ! -s $dir/ca.key ]]; then
	rm -f "$dir/ca.crt" "$dir/ca.key"
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
	ossl req -new -x509 -key "$dir/ca.key" -out "$dir/ca.crt" -days "$days" \
		-subj "/O=smpc test/CN=smpc throwaway test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	# A new CA invalidates every certificate made by an old one.
	for f in "$dir"/*.crt; do
		[[ $f == "$dir/ca.crt" ]] || rm -f "$f"
	done
fi

for party in "$@"; do
	crt=$dir/$party.crt key=$dir/$party.key
	if [[ -s $crt && -s $key ]] &&
		openssl verify -CAfile "$dir/ca.crt" "$crt" >/dev/null 2>&1; then
		continue
	fi
	rm -f "$crt" "$key"
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key"
	ossl req -new -key "$key" -out "$dir/$party.csr" \
		-subj "/O=smpc test party $party/CN=localhost"
	cat >"$dir/$party.ext" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth,clientAuth
		subjectAltName=DNS:localhost,IP:127.0.0.1
	EOF
	ossl x509 -req -in "$dir/$party.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -out "$crt" -days "$days" -extfile "$dir/$party.ext"
	rm -f "$dir/$party.csr" "$dir/$party.ext"
done

chmod 0600 "$dir"/*.key
chmod 0644 "$dir"/*.crt
rm -f "$dir/ca.srl"
