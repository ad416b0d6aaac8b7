/*
 * The declared key domain of a grouped job (key_domain.cpp): its keys in
 * byte order without duplicates, their fingerprint, and a hash index from
 * key to position for the local phase.
 */
#ifndef SMPC_KEY_DOMAIN_H
#define SMPC_KEY_DOMAIN_H

#include "pg/smpc_pg.h"

extern "C" {
#include "utils/array.h"
}

/* The most keys a domain may have: the job's vector holds two values per key. */
#define SMPC_MAX_GROUPS (1024 * 1024)

/* A key of the domain: bytes of a text value (not NUL-terminated). */
typedef struct SmpcKey
{
	const char *data;
	int			len;
	uint64		prefix;			/* the first 8 bytes, big-endian, zero-padded */
} SmpcKey;

/*
 * A slot of the domain's hash index. It holds what decides most probes
 * without reading the key itself (a cache miss on a million-key domain):
 * keys shorter than 8 bytes are equal exactly when their prefixes are,
 * since text holds no NUL.
 */
typedef struct SmpcDomainSlot
{
	uint64		prefix;
	uint32		hash;
	int32		pos;			/* the key's position; -1: empty */
} SmpcDomainSlot;

typedef struct SmpcDomain
{
	int			n;
	SmpcKey    *keys;			/* byte order */
	char		fingerprint[65];	/* SHA-256 of the length-prefixed keys, hex */
	SmpcDomainSlot *slots;		/* open addressing, at most half full; NULL
								 * until smpc_domain_index */
	uint32		mask;			/* number of slots - 1 (a power of two - 1) */
} SmpcDomain;

/*
 * Reads a text[] domain: sorts it, refuses NULL, duplicates and sizes
 * outside 1..SMPC_MAX_GROUPS and fingerprints it, in CurrentMemoryContext.
 * The keys point into the array.
 */
extern void smpc_domain_from_array(ArrayType *array, SmpcDomain *out);
/* Builds the hash index smpc_domain_find needs (parties that aggregate rows). */
extern void smpc_domain_index(SmpcDomain *domain);
/* The position of key (data, len) in an indexed domain, or -1. */
extern int	smpc_domain_find(const SmpcDomain *domain, const char *data, int len);

#endif							/* SMPC_KEY_DOMAIN_H */
