/*
 * home.h: the public landing page.
 */
#ifndef HOME_H
#define HOME_H

struct call;

/* GET /: what the service is, how to sign in and file a complaint. */
void home_page(struct call *call);

#endif
