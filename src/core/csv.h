/*
 * csv.h: cells of a CSV file for spreadsheets (RFC 4180): text quoted with its quotes doubled,
 * and a text cell a spreadsheet would read as a formula — one starting with =, +, -, @, a tab or
 * a carriage return — written with a leading apostrophe so it stays text (OWASP's CSV injection
 * advice); numbers are written as they are (a negative longitude stays a number).
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>

/* The most bytes csv_text writes for text (NULL: an empty cell). */
size_t csv_text_size(const char *text);
/* Writes text as one quoted, neutralised cell at out; returns the end. */
char *csv_text(char *out, const char *text);
/* Writes a number's digits as they are (NULL: an empty cell); returns the end. The caller gives
 * the text the database returned for a numeric column. */
char *csv_number(char *out, const char *number);

#endif
