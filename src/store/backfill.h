/*
 * backfill.h: the photo-repair child's second job: copying the photos filed before a replica
 * joined [s3] replicas to it, in the background, at [s3] backfill_rate photos a second, resumable
 * (the cursor is in s3_backfills: store/db_backfills.h), and keeping no queued repair for a
 * replica taken out of the set.
 */
#ifndef BACKFILL_H
#define BACKFILL_H

struct app;
struct arena;

/* One round, until the monotonic time until_ms (milliseconds, CLOCK_MONOTONIC) at most: the
 * table brought in line with the set, then photos copied to the first replica still copying
 * that this host may claim. Returns early when nothing is left, a copy fails (the next round
 * tries again) or the child is asked to stop. */
void backfill_round(struct app *app, struct arena *arena, long long until_ms);
/* At the child's exit: its claim let go. */
void backfill_stop(struct app *app);
/* The monotonic clock in milliseconds. */
long long backfill_now_ms(void);

#endif
