/*
 * slots.c: a bound on concurrent work across processes, as POSIX record locks on the bytes of one
 * anonymous file (see slots.h).
 */
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

int slots_create(struct slots *slots, unsigned count)
{
	slots->fd = memfd_create("complaintd-slots", MFD_CLOEXEC);
	slots->count = count > 0 ? count : 1;
	slots->held = -1;
	if (slots->fd < 0) {
		log_error("slots: memfd_create: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void slots_resize(struct slots *slots, unsigned count)
{
	slots->count = count > 0 ? count : 1;
}

/* F_SETLK on byte index: type F_WRLCK takes it, F_UNLCK gives it back. */
static int slots_lock(int fd, unsigned index, short type)
{
	struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)index, .l_len = 1};
	int result;
	do
		result = fcntl(fd, F_SETLK, &lock);
	while (result != 0 && errno == EINTR);
	return result;
}

enum slots_status slots_take(struct slots *slots)
{
	/* A process's own lock never conflicts with itself: taking a second one would count it twice. */
	if (slots->held >= 0)
		return SLOTS_OK;
	for (unsigned i = 0; i < slots->count; i++) {
		if (slots_lock(slots->fd, i, F_WRLCK) == 0) {
			slots->held = (int)i;
			return SLOTS_OK;
		}
		if (errno != EAGAIN && errno != EACCES) {
			log_error("slots: locking slot %u: %s", i, strerror(errno));
			return SLOTS_ERROR;
		}
	}
	return SLOTS_BUSY;
}

void slots_give_back(struct slots *slots)
{
	if (slots->held < 0)
		return;
	if (slots_lock(slots->fd, (unsigned)slots->held, F_UNLCK) != 0)
		log_error("slots: unlocking slot %d: %s", slots->held, strerror(errno));
	slots->held = -1;
}

void slots_destroy(struct slots *slots)
{
	if (slots->fd >= 0)
		close(slots->fd);
	slots->fd = -1;
	slots->held = -1;
}
