/*
 * complaints.h: the residents' side of complaints — the filing form, filing (photo cleaned, stored
 * on the S3 replica set, then the row), "my complaints", a complaint's page and its photo.
 */
#ifndef COMPLAINTS_H
#define COMPLAINTS_H

struct call;

void complaints_new_form(struct call *call);
void complaints_file(struct call *call);
void complaints_mine(struct call *call);
void complaints_page(struct call *call);
void complaints_photo(struct call *call);

#endif
