/* SPDX-License-Identifier: MIT */
/*
 * noise_vectors [--require-ix] FILE: runs the Noise test vectors of FILE
 * (cacophony's JSON format) through src/core/noise.c.
 *
 * For every vector whose protocol weft supports (25519, no PSK), both sides
 * run: each handshake message is written by its sender and must equal the
 * expected ciphertext byte for byte, and the expected ciphertext is read by
 * the receiver and must give the payload. Then the transport messages (in
 * alternating directions, or all initiator -> responder for one-way
 * patterns) the same way, and both sides' handshake hashes.
 *
 * --require-ix also fails unless at least one Noise_IX_25519_*_SHA256 vector
 * of each cipher ran: those are the names weft speaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "core/noise.h"

enum { BUF_LEN = WF_NOISE_MAX_MSG + WF_AEAD_TAG_LEN };

/* A hex field decoded; len is 0 and present false when the field is absent. */
struct field {
	bool present;
	size_t len;
	uint8_t *data;
};

struct side {
	struct wf_noise_handshake hs;
	struct wf_noise_cipher tx, rx;
	uint8_t h[WF_HASH_MAX_LEN];
};

struct stats {
	int ran, passed, failed, skipped;
	int ix_ran[2], ix_passed[2]; /* [0] AESGCM, [1] ChaChaPoly */
};

static uint8_t buf[BUF_LEN], out[BUF_LEN];

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the hex string field name of v into f (malloc'd); false if the field
 * is there but is not a hex string. */
static bool get_hex(const cJSON *v, const char *name, struct field *f)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(v, name);
	const char *s;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!item)
		return true;
	s = cJSON_GetStringValue(item);
	if (!s || strlen(s) % 2)
		return false;
	n = strlen(s) / 2;
	f->data = malloc(n ? n : 1);
	if (!f->data)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(f->data);
			f->data = NULL;
			return false;
		}
		f->data[i] = (uint8_t)(hi << 4 | lo);
	}
	f->present = true;
	f->len = n;
	return true;
}

static const char *const known_fields[] = {
	"protocol_name", "init_prologue",  "init_static",        "init_ephemeral",
	"init_remote_static", "resp_prologue", "resp_static", "resp_ephemeral",
	"resp_remote_static", "handshake_hash", "messages",
};

/* True if every field of v is one this tool knows how to use. */
static bool fields_supported(const cJSON *v)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
			known |= !strcmp(item->string, known_fields[i]);
		if (!known)
			return false;
	}
	return true;
}

static void report(int idx, const char *name, const char *what, int msg)
{
	if (msg >= 0)
		printf("FAIL vector %d %s: message %d: %s\n", idx, name, msg, what);
	else
		printf("FAIL vector %d %s: %s\n", idx, name, what);
}

enum { K_S, K_E, K_RS, K_PROLOGUE, K_COUNT };

/* Sets up one side from its init_ or resp_ fields. */
static bool side_init(struct side *sd, const cJSON *v, const struct wf_noise_protocol *p,
		      bool initiator)
{
	static const char *const names[2][K_COUNT] = {
		{"resp_static", "resp_ephemeral", "resp_remote_static", "resp_prologue"},
		{"init_static", "init_ephemeral", "init_remote_static", "init_prologue"},
	};
	struct field f[K_COUNT];
	bool ok = true;

	for (int k = 0; k < K_COUNT; k++) {
		ok &= get_hex(v, names[initiator][k], &f[k]);
		if (k != K_PROLOGUE && f[k].present && f[k].len != WF_KEY_LEN)
			ok = false;
	}
	ok = ok && wf_noise_handshake_init(&sd->hs, p, initiator, f[K_PROLOGUE].data,
					   f[K_PROLOGUE].len, f[K_S].data, f[K_E].data,
					   f[K_RS].data, NULL);
	for (int k = 0; k < K_COUNT; k++)
		free(f[k].data);
	return ok;
}

/* One handshake message: from writes it, to reads it. */
static const char *handshake_msg(struct side *from, struct side *to, const struct field *pl,
				 const struct field *ct)
{
	size_t len;

	if (!wf_noise_write_message(&from->hs, pl->data, pl->len, out, sizeof(out), &len))
		return "writer failed";
	if (len != ct->len || memcmp(out, ct->data, len))
		return "written ciphertext differs";
	if (!wf_noise_read_message(&to->hs, ct->data, ct->len, buf, sizeof(buf), &len))
		return "reader failed";
	if (len != pl->len || memcmp(buf, pl->data, len))
		return "read payload differs";
	return NULL;
}

/* One transport message from one side's tx to the other's rx. */
static const char *transport_msg(struct side *from, struct side *to, const struct field *pl,
				 const struct field *ct)
{
	if (pl->len + WF_AEAD_TAG_LEN != ct->len || ct->len > sizeof(buf))
		return "ciphertext length is not payload + 16";
	memcpy(buf, pl->data, pl->len);
	if (!wf_noise_cipher_encrypt(&from->tx, NULL, 0, buf, pl->len))
		return "encrypt failed";
	if (memcmp(buf, ct->data, ct->len))
		return "encrypted ciphertext differs";
	memcpy(buf, ct->data, ct->len);
	if (!wf_noise_cipher_decrypt(&to->rx, NULL, 0, buf, ct->len))
		return "decrypt failed";
	if (memcmp(buf, pl->data, pl->len))
		return "decrypted payload differs";
	return NULL;
}

/* Split both sides and check the handshake hash; c1 is the initiator's. */
static const char *finish_handshake(struct side *ini, struct side *resp,
				    const struct wf_noise_protocol *p, const struct field *hh)
{
	uint8_t c[2][2][WF_KEY_LEN];
	size_t hl = wf_hash_len(p->hash);
	bool ok;

	if (!wf_noise_split(&ini->hs, c[0][0], c[0][1], ini->h) ||
	    !wf_noise_split(&resp->hs, c[1][0], c[1][1], resp->h))
		return "split failed";
	ok = wf_noise_cipher_init(&ini->tx, p->cipher, c[0][0]) &&
	     wf_noise_cipher_init(&ini->rx, p->cipher, c[0][1]) &&
	     wf_noise_cipher_init(&resp->rx, p->cipher, c[1][0]) &&
	     wf_noise_cipher_init(&resp->tx, p->cipher, c[1][1]);
	wf_wipe(c, sizeof(c));
	if (!ok)
		return "cipher init failed";
	if (!hh->present || hh->len != hl)
		return "handshake_hash missing or of the wrong length";
	if (memcmp(ini->h, hh->data, hl) || memcmp(resp->h, hh->data, hl))
		return "handshake hash differs";
	return NULL;
}

/* Runs message m; *in_handshake turns false after the last handshake one. */
static const char *run_message(struct side sd[2], const cJSON *msg, int m,
			       const struct wf_noise_protocol *p, const cJSON *v,
			       bool *in_handshake)
{
	struct field pl = {0}, ct = {0}, hh;
	const char *err = NULL;
	bool from_init = wf_noise_protocol_one_way(p) || m % 2 == 0;
	struct side *from = &sd[from_init], *to = &sd[!from_init];

	if (!get_hex(msg, "payload", &pl) || !get_hex(msg, "ciphertext", &ct) || !pl.present ||
	    !ct.present) {
		err = "bad payload or ciphertext field";
		goto out;
	}
	if (*in_handshake) {
		err = handshake_msg(from, to, &pl, &ct);
		if (err || !wf_noise_handshake_done(&from->hs))
			goto out;
		*in_handshake = false;
		if (!get_hex(v, "handshake_hash", &hh)) {
			err = "bad handshake_hash field";
			goto out;
		}
		err = finish_handshake(&sd[1], &sd[0], p, &hh);
		free(hh.data);
	} else {
		err = transport_msg(from, to, &pl, &ct);
	}
out:
	free(pl.data);
	free(ct.data);
	return err;
}

/* Runs vector idx; false if any check failed (each is reported). */
static bool run_vector(int idx, const cJSON *v, const struct wf_noise_protocol *p)
{
	struct side sd[2]; /* [0] responder, [1] initiator */
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(v, "messages"), *msg;
	bool in_handshake = true, ok = true;
	int m = 0;

	memset(sd, 0, sizeof(sd));
	if (!side_init(&sd[1], v, p, true) || !side_init(&sd[0], v, p, false)) {
		report(idx, p->name, "handshake init failed", -1);
		ok = false;
		goto out;
	}
	cJSON_ArrayForEach(msg, msgs) {
		const char *err = run_message(sd, msg, m, p, v, &in_handshake);
		if (err) {
			report(idx, p->name, err, m);
			ok = false;
			goto out;
		}
		m++;
	}
	if (in_handshake) {
		report(idx, p->name, "vector ends before the handshake does", -1);
		ok = false;
	}
out:
	for (int i = 0; i < 2; i++) {
		wf_noise_handshake_clear(&sd[i].hs);
		wf_noise_cipher_clear(&sd[i].tx);
		wf_noise_cipher_clear(&sd[i].rx);
	}
	return ok;
}

/* 0 or 1 for Noise_IX_25519_{AESGCM,ChaChaPoly}_SHA256, else -1. */
static int ix_index(const char *name)
{
	if (!strcmp(name, "Noise_IX_25519_AESGCM_SHA256"))
		return 0;
	if (!strcmp(name, "Noise_IX_25519_ChaChaPoly_SHA256"))
		return 1;
	return -1;
}

static void run_all(const cJSON *vectors, struct stats *st)
{
	const cJSON *v;
	int idx = 0;

	cJSON_ArrayForEach(v, vectors) {
		const char *name = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(v, "protocol_name"));
		struct wf_noise_protocol p;
		int ix;

		if (!name || !fields_supported(v) || !wf_noise_protocol_parse(&p, name)) {
			st->skipped++;
			idx++;
			continue;
		}
		st->ran++;
		ix = ix_index(name);
		if (ix >= 0)
			st->ix_ran[ix]++;
		if (run_vector(idx, v, &p)) {
			st->passed++;
			if (ix >= 0)
				st->ix_passed[ix]++;
		} else {
			st->failed++;
		}
		idx++;
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	data = malloc((size_t)len + 1);
	if (data && fread(data, 1, (size_t)len, f) != (size_t)len) {
		free(data);
		data = NULL;
	}
	if (data)
		data[len] = '\0';
out:
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	struct stats st = {0};
	bool require_ix = argc == 3 && !strcmp(argv[1], "--require-ix");
	const char *path = argv[argc - 1];
	cJSON *root, *vectors;
	char *text;
	int rc = 0;

	if (argc != 2 + require_ix) {
		fprintf(stderr, "usage: %s [--require-ix] FILE\n", argv[0]);
		return 2;
	}
	wf_crypto_init();
	text = read_file(path);
	if (!text) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 2;
	}
	root = cJSON_Parse(text);
	free(text);
	vectors = cJSON_GetObjectItemCaseSensitive(root, "vectors");
	if (!cJSON_IsArray(vectors)) {
		fprintf(stderr, "%s: no \"vectors\" array\n", path);
		cJSON_Delete(root);
		return 2;
	}
	run_all(vectors, &st);
	cJSON_Delete(root);
	printf("noise vectors: ran %d, passed %d, failed %d, skipped %d\n", st.ran, st.passed,
	       st.failed, st.skipped);
	printf("Noise_IX_25519_*_SHA256: AESGCM ran %d passed %d, ChaChaPoly ran %d passed %d\n",
	       st.ix_ran[0], st.ix_passed[0], st.ix_ran[1], st.ix_passed[1]);
	if (st.failed)
		rc = 1;
	if (require_ix && (st.ix_ran[0] == 0 || st.ix_ran[1] == 0)) {
		printf("--require-ix: no Noise_IX_25519_{AESGCM,ChaChaPoly}_SHA256 vector of "
		       "each cipher ran\n");
		rc = 1;
	}
	return rc;
}
