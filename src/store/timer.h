/*
 * timer.h: the master's timer child (named "timer" in ps, supervised like photo-repair): the
 * workflow's clock. Today it closes resolved complaints their resident did not answer within
 * [workflow] feedback_period (core/workflow.c's auto_close row: closed, no_feedback), and it
 * flushes the host's replica statistics into replica_observations each [ops]
 * stats_flush_interval and when it stops (store/observations.h), and it deletes the rows past
 * their retention (store/retention.h).
 */
#ifndef TIMER_H
#define TIMER_H

/* The child's main: app is the master's struct app; returns when asked to stop. */
int timer_main(void *app);

#endif
