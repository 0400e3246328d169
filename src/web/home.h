/*
 * home.h: the public landing page.
 */
#ifndef HOME_H
#define HOME_H

struct routes_call;

/* GET /: what the service is, how to sign in and file a complaint. */
void home_page(struct routes_call *call);

#endif
