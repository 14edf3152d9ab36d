/* SPDX-License-Identifier: MIT */
/*
 * Text armor for binary files (keys, certificates, revocation lists), and
 * base64. A leaf utility: nothing of the protocol.
 */
#ifndef WEFT_ARMOR_H
#define WEFT_ARMOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * "-----BEGIN WEFT <LABEL>-----\n<base64, 64 per line>\n-----END WEFT <LABEL>-----\n"
 * Labels: "CERTIFICATE", "CA PRIVATE KEY", "NODE PRIVATE KEY", "NODE PUBLIC KEY".
 */
enum { WF_ARMOR_LABEL_MAX = 32 };
/* Plain base64 with padding, NUL-terminated; returns the length, or 0 (and
 * an empty string) if cap is too small. */
size_t wf_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Bytes needed (with the NUL) to armor len bytes under label. */
size_t wf_armor_size(const char *label, size_t len);
/* Returns the armored text length written to out (NUL-terminated), 0 on error. */
size_t wf_armor_encode(const char *label, const uint8_t *data, size_t len, char *out,
		       size_t out_cap);
/* Finds the block with this label in text; decodes into out. Returns the
 * decoded length or -1 (missing block, other label, bad base64, too long). */
long wf_armor_decode(const char *label, const char *text, uint8_t *out, size_t out_cap);
/* The same; on failure *line is the 1-based line at fault (0 if none) and
 * *why a short reason, e.g. "bad base64 character". Only blank lines may
 * surround the block; lines may end in CRLF. */
long wf_armor_parse(const char *label, const char *text, uint8_t *out, size_t out_cap,
		    unsigned *line, const char **why);
/* Copies the label of the first "-----BEGIN WEFT <LABEL>-----" line of text
 * into label; false if there is none (not a weft file at all). */
bool wf_armor_label(const char *text, char *label, size_t cap);

#endif
