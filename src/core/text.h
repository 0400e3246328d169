/*
 * text.h: what forms need of the text people type: trimming, and counting characters the way
 * people count them (Unicode code points, not bytes), refusing control characters.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stdbool.h>

struct arena;

/* value without leading and trailing spaces and tabs, copied into the arena; "" for NULL. */
const char *text_trimmed(struct arena *arena, const char *value);
/* value with every CR LF and lone CR turned into LF (arena; "" for NULL): what browsers send as
 * CR LF counts, and is stored, as one line break. */
const char *text_newlines(struct arena *arena, const char *value);
/* The characters of well-formed UTF-8 (the form parsers check it), or -1 at a control character
 * (C0, DEL, C1, or an invisible line separator or bidirectional control, U+2028..U+202E and
 * U+2066..U+2069) other than those allowed: allow_newlines lets CR, LF and tab through (a
 * description's paragraphs). */
long text_characters(const char *s, bool allow_newlines);

#endif
