/*
 * repair.h: the timer child that copies photos to the S3 replicas a put left without them.
 */
#ifndef REPAIR_H
#define REPAIR_H

/* The child's main (struct runtime_child): every [s3] repair_interval, takes the due rows of
 * photo_repairs, copies each object from a replica that has it (s3.get) to the one that lacks it
 * (s3.repair), deletes the row, or backs off (2^attempts seconds, at most an hour) when the copy
 * fails; in the rest of each interval, copies the existing photos to a replica added to the set
 * (backfill.h). Returns 0 once the master asks it to stop. */
int repair_main(void *app);

#endif
