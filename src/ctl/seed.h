/*
 * seed.h: complaintctl seed: a stack filled with a city's worth of made-up complaints (see seed.c).
 */
#ifndef SEED_H
#define SEED_H

#include <stdint.h>
#include <stdio.h>

struct db;

struct seed_options {
	long complaints, residents, agents;
	long days;                    /* complaints filed over this many days before now */
	double centre_lat, centre_lon;
	uint64_t seed;                /* the pseudo-random sequence's seed: same seed, same city */
	const char *password_hash;    /* every seeded account's hash (computed once by the caller) */
};

/* Makes the accounts, then the complaints in batches; progress to out. 0, or -1 with error. */
int seed_run(struct db *db, const struct seed_options *options, FILE *out, char *error, size_t error_size);

#endif
