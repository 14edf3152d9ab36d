/* SPDX-License-Identifier: MIT */
/*
 * Key and certificate files. Every error names the file, because the person
 * reading it has several of them (ca.key, node.key, node.crt, ...) and needs
 * to know which one to fix.
 *
 * Files are written to a temporary name in the same directory, then put in
 * place with link(2) (which never replaces an existing file) or, for a
 * certificate being renewed, rename(2). Either way a crash leaves the old
 * file or the new one, never half a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/armor.h"
#include "store/keyfile.h"
#include "core/revoke.h"

enum {
	FILE_MAX = 64 * 1024,
	CERT_FILE_MODE = 0644,
	ARMOR_MAX = 2048, /* an armored certificate or key always fits */
};

_Static_assert(ARMOR_MAX > (WF_CERT_MAX_ENCODED + 2) / 3 * 4 * 66 / 64 + 2 * 64,
	       "ARMOR_MAX too small for a certificate");

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "CA PRIVATE KEY" -> "CA private key", for messages. */
static const char *label_words(const char *label, char *buf, size_t len)
{
	snprintf(buf, len, "%s", label);
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!strncmp(buf, "ca ", 3))
		memcpy(buf, "CA", 2);
	return buf;
}

static bool is_private(const char *label)
{
	return strstr(label, "PRIVATE") != NULL;
}

/* --- Reading ------------------------------------------------------------- */

static char *read_fd(int fd, const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t n = 0;

	if (fstat(fd, &st) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	if (st.st_size > FILE_MAX) {
		seterr(err, errlen, "%s: too large (%lld bytes, at most %d)", path,
		       (long long)st.st_size, FILE_MAX);
		return NULL;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			seterr(err, errlen, "%s: %s", path, r ? strerror(errno) : "file shrank");
			goto out_free;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		seterr(err, errlen, "%s: not a text file (contains a NUL byte)", path);
		goto out_free;
	}
	if (len)
		*len = n;
	return buf;

out_free:
	wf_wipe(buf, n);
	free(buf);
	return NULL;
}

/* Opens and reads path; *mode gets its permission bits, from the open
 * file rather than the name. */
static char *read_file(const char *path, unsigned *mode, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf;

	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (mode)
		*mode = fstat(fd, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 07777;
	buf = read_fd(fd, path, len, err, errlen);
	close(fd);
	return buf;
}

char *wf_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	return read_file(path, NULL, len, err, errlen);
}

static void free_text(char *text, size_t len)
{
	if (!text)
		return;
	wf_wipe(text, len);
	free(text);
}

/* Decodes the block labelled label in text (read from path) into out.
 * Returns the length or -1 with err set: a file holding another kind of
 * block says what it holds, since that is the likely mix-up. */
static long unarmor(const char *path, const char *label, const char *text, uint8_t *out, size_t cap,
		    char *err, size_t errlen)
{
	char found[WF_ARMOR_LABEL_MAX], want[WF_ARMOR_LABEL_MAX];
	const char *why = NULL;
	unsigned line = 0;
	long n;

	label_words(label, want, sizeof(want));
	if (!wf_armor_label(text, found, sizeof(found))) {
		seterr(err, errlen, "%s: not a weft %s", path, want);
		return -1;
	}
	if (strcmp(found, label)) {
		seterr(err, errlen, "%s is not a %s (it holds a %s)", path, want, found);
		return -1;
	}
	n = wf_armor_parse(label, text, out, cap, &line, &why);
	if (n < 0 && line)
		seterr(err, errlen, "%s: line %u: %s", path, line, why);
	else if (n < 0)
		seterr(err, errlen, "%s: %s", path, why ? why : "bad armor");
	return n;
}

/* Private keys must not be readable or writable by group or others. This
 * is checked after the label, so that a public key given by mistake is
 * reported as that, not as a permission problem. */
static bool key_mode_ok(const char *path, const char *label, unsigned mode, char *err,
			size_t errlen)
{
	if (!is_private(label) || !(mode & 077))
		return true;
	seterr(err, errlen, "%s: permissions %04o are too open (want 0600)", path, mode);
	return false;
}

bool wf_key_load(const char *path, const char *label, uint8_t key[WF_KEY_LEN], char *err,
		 size_t errlen)
{
	uint8_t buf[WF_KEY_LEN + 1];
	unsigned mode = 0;
	size_t len = 0;
	char *text = read_file(path, &mode, &len, err, errlen);
	long n;

	if (!text)
		return false;
	n = unarmor(path, label, text, buf, sizeof(buf), err, errlen);
	free_text(text, len);
	if (n >= 0 && n != WF_KEY_LEN) {
		seterr(err, errlen, "%s: key has the wrong length (want %d bytes)", path,
		       WF_KEY_LEN);
		n = -1;
	}
	if (n >= 0 && !key_mode_ok(path, label, mode, err, errlen))
		n = -1;
	if (n == WF_KEY_LEN)
		memcpy(key, buf, WF_KEY_LEN);
	wf_wipe(buf, sizeof(buf));
	return n == WF_KEY_LEN;
}

/* The decoded block labelled label of the file at path; -1 with err set. */
static long load_armored(const char *path, const char *label, uint8_t *out, size_t cap, char *err,
			 size_t errlen)
{
	size_t len = 0;
	char *text = read_file(path, NULL, &len, err, errlen);
	long n;

	if (!text)
		return -1;
	n = unarmor(path, label, text, out, cap, err, errlen);
	free_text(text, len);
	return n;
}

bool wf_cert_load(const char *path, struct wf_cert *c, char *err, size_t errlen)
{
	uint8_t buf[WF_CERT_MAX_ENCODED];
	const char *why = NULL;
	enum wf_cert_err e;
	long n = load_armored(path, "CERTIFICATE", buf, sizeof(buf), err, errlen);

	if (n < 0)
		return false;
	e = wf_cert_decode_ex(c, buf, (size_t)n, &why);
	if (e == WF_CERT_OK)
		return true;
	if (why && e == WF_CERT_ERR_MALFORMED)
		seterr(err, errlen, "%s: %s: %s", path, wf_cert_strerror(e), why);
	else
		seterr(err, errlen, "%s: %s", path, wf_cert_strerror(e));
	return false;
}

/* --- Writing ------------------------------------------------------------- */

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* Writes text to a fresh temporary file next to path, with mode set
 * exactly (fchmod, so the umask cannot loosen or tighten it). */
static bool write_temp(const char *path, char *tmp, size_t tmplen, const void *data, size_t len,
		       unsigned mode, char *err, size_t errlen)
{
	int fd, n = snprintf(tmp, tmplen, "%s.tmp.XXXXXX", path);

	if (n < 0 || (size_t)n >= tmplen) {
		seterr(err, errlen, "%s: path too long", path);
		return false;
	}
	/* mkstemp creates with O_EXCL and mode 0600: nobody else can open
	 * it before fchmod. */
	if ((fd = mkstemp(tmp)) < 0) {
		seterr(err, errlen, "%s: cannot create a temporary file: %s", path,
		       strerror(errno));
		return false;
	}
	if (fchmod(fd, mode) < 0 || !write_all(fd, data, len) || fsync(fd) < 0) {
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return false;
	}
	if (close(fd) < 0) {
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

static bool write_file(const char *path, const void *data, size_t len, unsigned mode,
		       bool overwrite, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	bool ok;

	if (!overwrite && access(path, F_OK) == 0) {
		seterr(err, errlen, "%s already exists; refusing to overwrite", path);
		return false;
	}
	if (!write_temp(path, tmp, sizeof(tmp), data, len, mode, err, errlen))
		return false;
	/* link() fails if path exists, even if it appeared since access() */
	ok = overwrite ? rename(tmp, path) == 0 : link(tmp, path) == 0;
	if (!ok && errno == EEXIST)
		seterr(err, errlen, "%s already exists; refusing to overwrite", path);
	else if (!ok)
		seterr(err, errlen, "%s: %s", path, strerror(errno));
	if (!ok || !overwrite)
		unlink(tmp);
	return ok;
}

bool wf_key_save(const char *path, const char *label, const uint8_t key[WF_KEY_LEN], unsigned mode,
		 char *err, size_t errlen)
{
	char text[ARMOR_MAX];
	bool ok;

	if (!wf_armor_encode(label, key, WF_KEY_LEN, text, sizeof(text))) {
		seterr(err, errlen, "%s: cannot armor the key (label \"%s\")", path, label);
		return false;
	}
	ok = write_file(path, text, strlen(text), mode & 07777, false, err, errlen);
	wf_wipe(text, sizeof(text));
	return ok;
}

bool wf_cert_save(const char *path, const struct wf_cert *c, bool overwrite, char *err,
		  size_t errlen)
{
	uint8_t bin[WF_CERT_MAX_ENCODED];
	char text[ARMOR_MAX];
	const char *why = NULL;
	size_t n;

	if (wf_cert_check(c, &why) != WF_CERT_OK) {
		seterr(err, errlen, "%s: cannot encode the certificate: %s", path, why);
		return false;
	}
	if (!(n = wf_cert_encode(c, bin, sizeof(bin)))) {
		seterr(err, errlen, "%s: certificate too large (over %d bytes encoded)", path,
		       WF_CERT_MAX_ENCODED);
		return false;
	}
	if (!wf_armor_encode("CERTIFICATE", bin, n, text, sizeof(text))) {
		seterr(err, errlen, "%s: cannot armor the certificate", path);
		return false;
	}
	return write_file(path, text, strlen(text), CERT_FILE_MODE, overwrite, err, errlen);
}

/* --- Revocation lists ---------------------------------------------------- */

bool wf_revoke_load(const char *path, struct wf_revoke *r, char *err, size_t errlen)
{
	uint8_t buf[WF_REVOKE_MAX_ENCODED];
	enum wf_cert_err e;
	long n = load_armored(path, "REVOCATION LIST", buf, sizeof(buf), err, errlen);

	if (n < 0)
		return false;
	e = wf_revoke_decode(r, buf, (size_t)n);
	if (e != WF_CERT_OK)
		seterr(err, errlen, "%s: %s", path,
		       e == WF_CERT_ERR_MALFORMED ? "malformed revocation list" : wf_cert_strerror(e));
	return e == WF_CERT_OK;
}

bool wf_revoke_save(const char *path, const struct wf_revoke *r, char *err, size_t errlen)
{
	/* 96 KiB at the largest: not on the stack. */
	enum { TEXT_MAX = 2 * WF_REVOKE_MAX_ENCODED + 256 };
	uint8_t *bin = malloc(WF_REVOKE_MAX_ENCODED + TEXT_MAX);
	char *text = (char *)bin + WF_REVOKE_MAX_ENCODED;
	size_t n = bin ? wf_revoke_encode(r, bin, WF_REVOKE_MAX_ENCODED) : 0;
	bool ok;

	if (!n || !wf_armor_encode("REVOCATION LIST", bin, n, text, TEXT_MAX)) {
		seterr(err, errlen, "%s: cannot encode the revocation list", path);
		free(bin);
		return false;
	}
	ok = write_file(path, text, strlen(text), CERT_FILE_MODE, true, err, errlen);
	free(bin);
	return ok;
}

bool wf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
			  size_t errlen)
{
	return write_file(path, data, len, mode, true, err, errlen);
}
