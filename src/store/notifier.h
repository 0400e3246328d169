/*
 * notifier.h: the master's notifier child (named "notifier" in ps, supervised like the timer):
 * delivers the outbox. It claims due messages under a lease, renders each from the templates
 * mail/notification.text and mail/notification.html, sends it through the [smtp] set with a
 * Message-ID derived from its row (so a repeat is recognisable), and marks it sent, or pending
 * again after a backoff with jitter, or failed after [notify] max_attempts with its last error.
 * (Sent messages older than [notify] retention are the timer's to delete.) Several notifiers (one per master,
 * on one host or many) never claim one message at once; one asked to stop gives back what it
 * has not sent, one that dies frees its claims when their lease passes, and only those messages
 * may arrive twice.
 */
#ifndef NOTIFIER_H
#define NOTIFIER_H

/* The child's main: app is the master's struct app; returns when asked to stop. */
int notifier_main(void *app);

#endif
