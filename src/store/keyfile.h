/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing weft's key and certificate files. Every failure sets a
 * one-line message naming the file (and line where there is one) in err,
 * for the caller to print as it is.
 *
 * Files:
 *   ca.key   0600  armored "CA PRIVATE KEY"   (32-byte Ed25519 seed)
 *   ca.crt   0644  armored "CERTIFICATE"      (type CA)
 *   node.key 0600  armored "NODE PRIVATE KEY" (32-byte X25519 private key)
 *   node.pub 0644  armored "NODE PUBLIC KEY"  (32-byte X25519 public key)
 *   node.crt 0644  armored "CERTIFICATE"      (type node)
 *   revoked.list 0644 armored "REVOCATION LIST" (core/revoke.h)
 */
#ifndef WEFT_KEYFILE_H
#define WEFT_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

enum { WF_ERR_MAX = 512 };

/* Load a 32-byte key stored under label. Private keys readable by group or
 * others are refused. */
bool wf_key_load(const char *path, const char *label, uint8_t key[WF_KEY_LEN], char *err,
		 size_t errlen);
/* Write a key file with the given mode; refuses to overwrite an existing
 * file (O_EXCL). */
bool wf_key_save(const char *path, const char *label, const uint8_t key[WF_KEY_LEN],
		 unsigned mode, char *err, size_t errlen);
/* Load and decode a certificate (no signature check). */
bool wf_cert_load(const char *path, struct wf_cert *c, char *err, size_t errlen);
/* Write an armored certificate. With overwrite false, an existing file is an
 * error; certificates may be renewed, so the CLI can ask to overwrite. */
bool wf_cert_save(const char *path, const struct wf_cert *c, bool overwrite, char *err,
		  size_t errlen);

struct wf_revoke;
/* Load and decode a revocation list (no signature check). */
bool wf_revoke_load(const char *path, struct wf_revoke *r, char *err, size_t errlen);
/* Write one, replacing the file atomically (a temporary file, renamed). */
bool wf_revoke_save(const char *path, const struct wf_revoke *r, char *err, size_t errlen);

/* Replace path with len bytes at data, atomically: a temporary file beside
 * it, synced, then renamed over it. */
bool wf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
			  size_t errlen);

/* Read a whole small text file (max 64 KiB) into a malloc'd NUL-terminated
 * buffer. */
char *wf_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
