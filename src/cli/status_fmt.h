/* SPDX-License-Identifier: MIT */
/*
 * Reading the status document (docs/status-json.md) and writing its figures
 * for people: what the table (status.c) and the dump and watch forms
 * (status_dump.c) share.
 */
#ifndef WEFT_STATUS_FMT_H
#define WEFT_STATUS_FMT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	CELL = 128,		/* a cell of the table; longer text is cut, with "..." */
	SF_STATUS_VERSION = 1,	/* the status document's version weft reads */
};

/* json parsed into *root (the caller frees it, whatever the outcome) if it
 * is a status document of the version weft reads; false with a one-line
 * message in err for what is not JSON, the daemon's {"error": ...} answer,
 * or another version. */
bool sf_document(const char *json, cJSON **root, char *err, size_t errlen);

/* Copies s into a cell, replacing control characters: the strings come from
 * certificates and the network, and must not drive the terminal. */
void sf_cell(char *dst, const char *s);
/* obj's string member key, or dflt. */
const char *sf_str(const cJSON *obj, const char *key, const char *dflt);
/* obj's number member key into *v; false (and *v untouched) if none. */
bool sf_num(const cJSON *obj, const char *key, double *v);
/* "840 B", "1.2 MiB" */
void sf_bytes(double b, char *buf, size_t len);
/* The sum of obj's number members (a drops object). */
double sf_sum(const cJSON *obj);

#endif
