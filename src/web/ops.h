/*
 * ops.h: what operators and monitors ask the running service.
 */
#ifndef OPS_H
#define OPS_H

struct routes_call;

/* GET /healthz: {"status", "version", "pid", "config_generation"} as JSON. */
void ops_health(struct routes_call *call);

#endif
