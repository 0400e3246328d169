/*
 * complaints.h: the residents' side of complaints — the filing form, filing (photo cleaned, stored
 * on the S3 replica set, then the row), "my complaints", a complaint's page and its photo.
 */
#ifndef COMPLAINTS_H
#define COMPLAINTS_H

struct routes_call;

void complaints_new_form(struct routes_call *call);
void complaints_file(struct routes_call *call);
void complaints_mine(struct routes_call *call);
void complaints_page(struct routes_call *call);
void complaints_photo(struct routes_call *call);

#endif
