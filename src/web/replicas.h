/*
 * replicas.h: the admin's replica page: for a window (the last hour, day or week), per backend
 * operation and per location, the WS-DREAM paper's Table 1 columns of every replica, and a chart
 * of each replica's average RTT from each location like the paper's Figure 4.
 */
#ifndef WEB_REPLICAS_H
#define WEB_REPLICAS_H

struct call;

/* GET /admin/replicas?window=1h|1d|7d (default 1h) */
void replicas_page(struct call *call);

#endif
