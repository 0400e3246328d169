/*
 * ops.h: what operators and monitors ask the running service.
 */
#ifndef OPS_H
#define OPS_H

struct call;

/* GET /healthz: {"status", "version", "pid", "config_generation"} as JSON. */
void ops_health(struct call *call);

#endif
