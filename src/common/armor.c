/* SPDX-License-Identifier: MIT */
/*
 * Armor: binary keys and certificates as text, PEM-like:
 *
 *   -----BEGIN WEFT CERTIFICATE-----
 *   <standard base64 with padding, 64 characters per line>
 *   -----END WEFT CERTIFICATE-----
 *
 * Decoding is strict because these files are security-relevant and written
 * by our own tools: one spelling of the data only (padding required, unused
 * bits zero, no whitespace inside lines), and only blank lines around the
 * block. A file that says something else is refused with its line number
 * rather than half understood. CRLF line ends are accepted, since an editor
 * on the admin's laptop may have added them.
 */
#include <stdio.h>
#include <string.h>

#include "common/armor.h"
#include "crypto/crypto.h"

enum {
	B64_LINE = 64,	   /* characters per line we write */
	B64_LINE_MAX = 76, /* longest line we accept (RFC 2045's limit) */
};

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "-----BEGIN WEFT <label>-----" or "-----END WEFT <label>-----" */
static int marker(char *buf, size_t cap, const char *kind, const char *label)
{
	return snprintf(buf, cap, "-----%s WEFT %s-----", kind, label);
}

static bool label_ok(const char *label)
{
	size_t n = strlen(label);

	if (n < 1 || n >= WF_ARMOR_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((label[i] < 'A' || label[i] > 'Z') && label[i] != ' ')
			return false;
	return true;
}

size_t wf_armor_size(const char *label, size_t len)
{
	size_t chars = (len + 2) / 3 * 4;
	size_t lines = (chars + B64_LINE - 1) / B64_LINE;

	/* both marker lines with their newlines, the data lines, the NUL */
	return 2 * (strlen(label) + sizeof("-----BEGIN WEFT -----")) + chars + lines + 1;
}

/* Appends one base64 quantum (1 to 3 bytes) to out. */
static void b64_quantum(const uint8_t *in, size_t n, char out[4])
{
	uint32_t v =
	    (uint32_t)in[0] << 16 | (n > 1 ? (uint32_t)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);

	out[0] = b64chars[v >> 18 & 63];
	out[1] = b64chars[v >> 12 & 63];
	out[2] = n > 1 ? b64chars[v >> 6 & 63] : '=';
	out[3] = n > 2 ? b64chars[v & 63] : '=';
}

size_t wf_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (cap < (len + 2) / 3 * 4 + 1) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < len; i += 3, o += 4)
		b64_quantum(in + i, len - i < 3 ? len - i : 3, out + o);
	out[o] = '\0';
	return o;
}

size_t wf_armor_encode(const char *label, const uint8_t *data, size_t len, char *out,
		       size_t out_cap)
{
	size_t pos, col = 0;
	int n;

	if (!label_ok(label) || !len || out_cap < wf_armor_size(label, len))
		return 0;
	n = marker(out, out_cap, "BEGIN", label);
	pos = (size_t)n;
	out[pos++] = '\n';
	for (size_t i = 0; i < len; i += 3) {
		b64_quantum(data + i, len - i < 3 ? len - i : 3, out + pos);
		pos += 4;
		col += 4;
		if (col == B64_LINE || i + 3 >= len) {
			out[pos++] = '\n';
			col = 0;
		}
	}
	n = marker(out + pos, out_cap - pos, "END", label);
	pos += (size_t)n;
	out[pos++] = '\n';
	out[pos] = '\0';
	return pos;
}

/* --- Decoding ------------------------------------------------------------ */

/* Streaming base64 decoder: fed one character at a time, across lines. */
struct b64 {
	uint8_t *out;
	size_t len, cap;
	uint32_t acc;
	unsigned n;   /* characters in the current quantum */
	unsigned pad; /* '=' seen in it */
	bool done;    /* a padded quantum ended the data */
};

static int b64_value(char ch)
{
	const char *p = ch ? strchr(b64chars, ch) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

static bool b64_emit(struct b64 *d, unsigned nbytes)
{
	if (nbytes > d->cap - d->len)
		return false;
	for (unsigned i = 0; i < nbytes; i++)
		d->out[d->len++] = (uint8_t)(d->acc >> (16 - 8 * i));
	return true;
}

/* Ends a quantum of 4 characters: 1, 2 or 3 bytes. The bits the padding
 * leaves unused must be zero, or two texts would decode to the same bytes. */
static const char *b64_flush(struct b64 *d)
{
	static const uint32_t unused[3] = {0, 0xff, 0xffff};

	if (d->acc & unused[d->pad])
		return "bad base64 padding";
	if (!b64_emit(d, 3 - d->pad))
		return "data too long";
	d->done = d->pad > 0;
	d->acc = 0;
	d->n = d->pad = 0;
	return NULL;
}

static const char *b64_feed(struct b64 *d, char ch)
{
	int v = b64_value(ch);

	if (d->done)
		return "data after base64 padding";
	if (ch == '=') {
		if (d->n < 2)
			return "bad base64 padding";
		d->pad++;
		v = 0;
	} else if (v < 0) {
		return "bad base64 character";
	} else if (d->pad) {
		return "data after base64 padding";
	}
	d->acc = d->acc << 6 | (uint32_t)v;
	return ++d->n == 4 ? b64_flush(d) : NULL;
}

/* The line starting at *text: its length without the line end; *text moves
 * to the next line. */
static size_t next_line(const char **text, const char **line)
{
	const char *s = *text, *nl = strchr(s, '\n');
	size_t n = nl ? (size_t)(nl - s) : strlen(s);

	*line = s;
	*text = nl ? nl + 1 : s + n;
	if (n && s[n - 1] == '\r')
		n--;
	return n;
}

static bool line_is(const char *line, size_t n, const char *kind, const char *label)
{
	char want[WF_ARMOR_LABEL_MAX + 32];
	int w = marker(want, sizeof(want), kind, label);

	return w > 0 && (size_t)w == n && !memcmp(line, want, n);
}

static bool blank(const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

/* Parser state shared by the steps below. */
struct armor {
	const char *text;
	unsigned line;
	const char *why;
};

/* Skips blank lines up to the BEGIN line, which must carry label. */
static bool find_begin(struct armor *a, const char *label)
{
	const char *l;
	size_t n;

	while (*a->text) {
		a->line++;
		n = next_line(&a->text, &l);
		if (blank(l, n))
			continue;
		if (line_is(l, n, "BEGIN", label))
			return true;
		a->why = !strncmp(l, "-----BEGIN WEFT ", 16) ? "wrong kind of block"
							     : "expected a BEGIN WEFT line";
		return false;
	}
	a->line = 0;
	a->why = "no BEGIN WEFT line";
	return false;
}

/* Base64 lines up to the END line. */
static bool read_body(struct armor *a, const char *label, struct b64 *d)
{
	const char *l;
	size_t n;

	while (*a->text) {
		a->line++;
		n = next_line(&a->text, &l);
		if (line_is(l, n, "END", label)) {
			if (d->n)
				return a->why = "base64 data cut short", false;
			if (!d->len)
				return a->why = "no data in the block", false;
			return true;
		}
		if (!n || n > B64_LINE_MAX)
			return a->why = n ? "line too long" : "blank line inside the block", false;
		for (size_t i = 0; i < n; i++)
			if ((a->why = b64_feed(d, l[i])))
				return false;
	}
	a->why = "missing END line";
	return false;
}

/* Nothing but blank lines after the END line. */
static bool check_tail(struct armor *a)
{
	const char *l;
	size_t n;

	while (*a->text) {
		a->line++;
		n = next_line(&a->text, &l);
		if (!blank(l, n))
			return a->why = "text after the END line", false;
	}
	return true;
}

long wf_armor_parse(const char *label, const char *text, uint8_t *out, size_t out_cap,
		    unsigned *line, const char **why)
{
	struct armor a = {text, 0, NULL};
	struct b64 d = {.out = out, .cap = out_cap};
	bool ok;

	if (!label_ok(label)) {
		a.why = "bad label";
		ok = false;
	} else {
		ok = find_begin(&a, label) && read_body(&a, label, &d) && check_tail(&a);
	}
	if (line)
		*line = ok ? 0 : a.line;
	if (why)
		*why = a.why;
	if (!ok) {
		wf_wipe(out, d.len); /* may be half a private key */
		return -1;
	}
	return (long)d.len;
}

long wf_armor_decode(const char *label, const char *text, uint8_t *out, size_t out_cap)
{
	return wf_armor_parse(label, text, out, out_cap, NULL, NULL);
}

bool wf_armor_label(const char *text, char *label, size_t cap)
{
	static const char pre[] = "-----BEGIN WEFT ";
	const char *l;
	size_t n;

	while (*text) {
		n = next_line(&text, &l);
		if (n < sizeof(pre) - 1 || strncmp(l, pre, sizeof(pre) - 1))
			continue;
		l += sizeof(pre) - 1;
		n -= sizeof(pre) - 1;
		if (n < 6 || memcmp(l + n - 5, "-----", 5) || n - 5 >= cap)
			return false;
		memcpy(label, l, n - 5);
		label[n - 5] = '\0';
		return label_ok(label);
	}
	return false;
}
