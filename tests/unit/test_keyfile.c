/* SPDX-License-Identifier: MIT */
/* Key and certificate files, in a temporary directory of our own. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/armor.h"
#include "store/keyfile.h"

enum { NOW = 1700000000 };

static char dir[PATH_MAX], olddir[PATH_MAX];
static uint8_t ca_priv[WF_KEY_LEN];
static struct wf_cert ca, node;

static void make_certs(void)
{
	uint8_t priv[WF_KEY_LEN];

	memset(&ca, 0, sizeof(ca));
	ca.version = WF_CERT_VERSION_1;
	ca.type = WF_CERT_CA;
	snprintf(ca.network, sizeof(ca.network), "net");
	snprintf(ca.name, sizeof(ca.name), "net");
	assert_true(wf_ed25519_keygen(ca_priv, ca.pubkey));
	ca.not_before = NOW - 100;
	ca.not_after = NOW + 100000;
	ca.cipher = WF_CIPHER_CHACHAPOLY;
	ca.n_prefixes = 1;
	assert_true(wf_prefix_parse(&ca.prefixes[0], "100.64.0.0/10", true));
	assert_true(wf_cert_sign(&ca, ca_priv));

	node = ca;
	node.type = WF_CERT_NODE;
	node.cipher = WF_CIPHER_NONE;
	node.n_prefixes = 0;
	memset(node.prefixes, 0, sizeof(node.prefixes));
	snprintf(node.name, sizeof(node.name), "alpha");
	assert_true(wf_x25519_keygen(priv, node.pubkey));
	node.serial = 42;
	node.n_addrs = 1;
	assert_true(wf_addr_parse(&node.addrs[0], "100.64.0.7"));
	assert_true(wf_cert_sign(&node, ca_priv));
}

/* Each test runs in a fresh directory, so messages name files as "ca.key". */
static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/weft-test-keyfile.XXXXXX");
	if (!mkdtemp(dir) || !getcwd(olddir, sizeof(olddir)) || chdir(dir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(".");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(e->d_name);
	if (d)
		closedir(d);
	if (chdir(olddir) < 0)
		return -1;
	return rmdir(dir);
}

static int group_setup(void **state)
{
	wf_crypto_init();
	make_certs();
	return 0;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static unsigned file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Only the files we expect: no temporary left behind. */
static int count_files(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#define expect_err(call, msg)                                                                    \
	do {                                                                                     \
		char err_[WF_ERR_MAX] = "";                                                      \
		assert_false(call);                                                              \
		assert_string_equal(err_, msg);                                                  \
	} while (0)

static void test_key_round_trip(void **state)
{
	uint8_t key[WF_KEY_LEN], back[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "";
	mode_t old = umask(0);

	for (int i = 0; i < WF_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7);
	/* the mode is exact whatever the umask */
	assert_true(wf_key_save("node.key", "NODE PRIVATE KEY", key, 0600, err, sizeof(err)));
	umask(077);
	assert_true(wf_key_save("node.pub", "NODE PUBLIC KEY", key, 0644, err, sizeof(err)));
	umask(old);
	assert_int_equal(file_mode("node.key"), 0600);
	assert_int_equal(file_mode("node.pub"), 0644);
	assert_true(wf_key_load("node.key", "NODE PRIVATE KEY", back, err, sizeof(err)));
	assert_memory_equal(key, back, WF_KEY_LEN);
	memset(back, 0, sizeof(back));
	assert_true(wf_key_load("node.pub", "NODE PUBLIC KEY", back, err, sizeof(err)));
	assert_memory_equal(key, back, WF_KEY_LEN);
	assert_int_equal(count_files(), 2);
}

static void test_key_overwrite_refused(void **state)
{
	uint8_t key[WF_KEY_LEN] = {1}, other[WF_KEY_LEN] = {2}, back[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "";

	assert_true(wf_key_save("node.key", "NODE PRIVATE KEY", key, 0600, err, sizeof(err)));
	expect_err(wf_key_save("node.key", "NODE PRIVATE KEY", other, 0600, err_, sizeof(err_)),
		   "node.key already exists; refusing to overwrite");
	assert_true(wf_key_load("node.key", "NODE PRIVATE KEY", back, err, sizeof(err)));
	assert_memory_equal(key, back, WF_KEY_LEN);
	/* a dangling symlink counts as existing: never write through it */
	assert_int_equal(symlink("elsewhere", "ca.key"), 0);
	expect_err(wf_key_save("ca.key", "CA PRIVATE KEY", key, 0600, err_, sizeof(err_)),
		   "ca.key already exists; refusing to overwrite");
	assert_int_equal(access("elsewhere", F_OK), -1);
	assert_int_equal(count_files(), 2);
}

static void test_key_permissions(void **state)
{
	uint8_t key[WF_KEY_LEN] = {3}, back[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "";

	assert_true(wf_key_save("ca.key", "CA PRIVATE KEY", key, 0600, err, sizeof(err)));
	assert_int_equal(chmod("ca.key", 0644), 0);
	expect_err(wf_key_load("ca.key", "CA PRIVATE KEY", back, err_, sizeof(err_)),
		   "ca.key: permissions 0644 are too open (want 0600)");
	assert_int_equal(chmod("ca.key", 0640), 0);
	expect_err(wf_key_load("ca.key", "CA PRIVATE KEY", back, err_, sizeof(err_)),
		   "ca.key: permissions 0640 are too open (want 0600)");
	assert_int_equal(chmod("ca.key", 0604), 0);
	expect_err(wf_key_load("ca.key", "CA PRIVATE KEY", back, err_, sizeof(err_)),
		   "ca.key: permissions 0604 are too open (want 0600)");
	assert_int_equal(chmod("ca.key", 0400), 0);
	assert_true(wf_key_load("ca.key", "CA PRIVATE KEY", back, err, sizeof(err)));
	/* public keys may be world-readable */
	assert_true(wf_key_save("node.pub", "NODE PUBLIC KEY", key, 0644, err, sizeof(err)));
	assert_true(wf_key_load("node.pub", "NODE PUBLIC KEY", back, err, sizeof(err)));
}

static void test_key_errors(void **state)
{
	uint8_t key[WF_KEY_LEN] = {4}, back[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "";

	expect_err(wf_key_load("nope.key", "NODE PRIVATE KEY", back, err_, sizeof(err_)),
		   "nope.key: No such file or directory");
	write_text("empty.key", "", 0600);
	expect_err(wf_key_load("empty.key", "NODE PRIVATE KEY", back, err_, sizeof(err_)),
		   "empty.key: not a weft node private key");
	write_text("garbage.key", "hello world\n", 0600);
	expect_err(wf_key_load("garbage.key", "CA PRIVATE KEY", back, err_, sizeof(err_)),
		   "garbage.key: not a weft CA private key");
	assert_true(wf_key_save("node.pub", "NODE PUBLIC KEY", key, 0644, err, sizeof(err)));
	expect_err(wf_key_load("node.pub", "NODE PRIVATE KEY", back, err_, sizeof(err_)),
		   "node.pub is not a node private key (it holds a NODE PUBLIC KEY)");
	write_text("short.key",
		   "-----BEGIN WEFT NODE PRIVATE KEY-----\nYWJjZA==\n"
		   "-----END WEFT NODE PRIVATE KEY-----\n",
		   0600);
	expect_err(wf_key_load("short.key", "NODE PRIVATE KEY", back, err_, sizeof(err_)),
		   "short.key: key has the wrong length (want 32 bytes)");
	write_text("bad.key",
		   "-----BEGIN WEFT NODE PRIVATE KEY-----\nYWJj*A==\n"
		   "-----END WEFT NODE PRIVATE KEY-----\n",
		   0600);
	expect_err(wf_key_load("bad.key", "NODE PRIVATE KEY", back, err_, sizeof(err_)),
		   "bad.key: line 2: bad base64 character");
	assert_int_equal(mkdir("adir", 0700), 0);
	expect_err(wf_key_load("adir", "NODE PUBLIC KEY", back, err_, sizeof(err_)),
		   "adir: not a regular file");
	rmdir("adir");
}

static void test_cert_round_trip(void **state)
{
	struct wf_cert c;
	char err[WF_ERR_MAX] = "";

	assert_true(wf_cert_save("ca.crt", &ca, false, err, sizeof(err)));
	assert_true(wf_cert_save("node.crt", &node, false, err, sizeof(err)));
	assert_int_equal(file_mode("node.crt"), 0644);
	assert_true(wf_cert_load("ca.crt", &c, err, sizeof(err)));
	assert_memory_equal(&c, &ca, sizeof(c));
	assert_int_equal(wf_cert_verify_ca(&c, NOW), WF_CERT_OK);
	assert_true(wf_cert_load("node.crt", &c, err, sizeof(err)));
	assert_memory_equal(&c, &node, sizeof(c));
	assert_int_equal(wf_cert_verify(&c, &ca, NOW), WF_CERT_OK);
	assert_int_equal(count_files(), 2);
}

static void test_cert_overwrite(void **state)
{
	struct wf_cert c, renewed = node;
	char err[WF_ERR_MAX] = "";

	assert_true(wf_cert_save("node.crt", &node, false, err, sizeof(err)));
	renewed.serial = 43;
	assert_true(wf_cert_sign(&renewed, ca_priv));
	expect_err(wf_cert_save("node.crt", &renewed, false, err_, sizeof(err_)),
		   "node.crt already exists; refusing to overwrite");
	assert_true(wf_cert_load("node.crt", &c, err, sizeof(err)));
	assert_int_equal(c.serial, 42);
	assert_true(wf_cert_save("node.crt", &renewed, true, err, sizeof(err)));
	assert_true(wf_cert_load("node.crt", &c, err, sizeof(err)));
	assert_int_equal(c.serial, 43);
	assert_int_equal(count_files(), 1);
}

static void test_cert_errors(void **state)
{
	uint8_t bin[WF_CERT_MAX_ENCODED], key[WF_KEY_LEN] = {5};
	char text[2048], err[WF_ERR_MAX] = "";
	struct wf_cert c;
	size_t n;

	expect_err(wf_cert_load("nope.crt", &c, err_, sizeof(err_)),
		   "nope.crt: No such file or directory");
	write_text("empty.crt", "", 0644);
	expect_err(wf_cert_load("empty.crt", &c, err_, sizeof(err_)),
		   "empty.crt: not a weft certificate");
	write_text("garbage.crt", "\x7f" "ELF\x02\x01\x01", 0644);
	expect_err(wf_cert_load("garbage.crt", &c, err_, sizeof(err_)),
		   "garbage.crt: not a weft certificate");
	assert_true(wf_key_save("node.key", "NODE PRIVATE KEY", key, 0600, err, sizeof(err)));
	expect_err(wf_cert_load("node.key", &c, err_, sizeof(err_)),
		   "node.key is not a certificate (it holds a NODE PRIVATE KEY)");
	/* a certificate cut short, armored correctly */
	n = wf_cert_encode(&node, bin, sizeof(bin));
	assert_true(wf_armor_encode("CERTIFICATE", bin, n - 10, text, sizeof(text)) > 0);
	write_text("cut.crt", text, 0644);
	expect_err(wf_cert_load("cut.crt", &c, err_, sizeof(err_)),
		   "cut.crt: truncated certificate");
	/* armor cut short: the END line is missing */
	assert_true(wf_armor_encode("CERTIFICATE", bin, n, text, sizeof(text)) > 0);
	*strstr(text, "-----END") = '\0';
	write_text("noend.crt", text, 0644);
	expect_err(wf_cert_load("noend.crt", &c, err_, sizeof(err_)),
		   "noend.crt: line 5: missing END line");
	/* an unknown version */
	bin[3] = 9;
	assert_true(wf_armor_encode("CERTIFICATE", bin, n, text, sizeof(text)) > 0);
	write_text("v9.crt", text, 0644);
	expect_err(wf_cert_load("v9.crt", &c, err_, sizeof(err_)),
		   "v9.crt: unsupported certificate version");
	bin[3] = 1;
	bin[7] = 2; /* the network field's tag becomes a repeat of... the name's */
	assert_true(wf_armor_encode("CERTIFICATE", bin, n, text, sizeof(text)) > 0);
	write_text("bad.crt", text, 0644);
	assert_false(wf_cert_load("bad.crt", &c, err, sizeof(err)));
	assert_non_null(strstr(err, "bad.crt: malformed certificate: "));
	/* a NUL byte in a text file */
	write_text("nul.crt", "-----BEGIN", 0644);
	assert_int_equal(truncate("nul.crt", 20), 0);
	expect_err(wf_cert_load("nul.crt", &c, err_, sizeof(err_)),
		   "nul.crt: not a text file (contains a NUL byte)");
	/* too big to be a certificate file */
	assert_int_equal(truncate("nul.crt", 1 << 20), 0);
	expect_err(wf_cert_load("nul.crt", &c, err_, sizeof(err_)),
		   "nul.crt: too large (1048576 bytes, at most 65536)");
}

static void test_cert_save_invalid(void **state)
{
	struct wf_cert c = node;

	c.n_addrs = 0;
	expect_err(wf_cert_save("x.crt", &c, false, err_, sizeof(err_)),
		   "x.crt: cannot encode the certificate: node certificate without an address");
	assert_int_equal(count_files(), 0);
}

static void test_read_file(void **state)
{
	char err[WF_ERR_MAX] = "";
	size_t len = 0;
	char *s;

	write_text("a.txt", "hello\n", 0644);
	s = wf_read_file("a.txt", &len, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(len, 6);
	assert_string_equal(s, "hello\n");
	free(s);
	assert_null(wf_read_file("b.txt", &len, err, sizeof(err)));
	assert_string_equal(err, "b.txt: No such file or directory");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_key_round_trip),  T(test_key_overwrite_refused), T(test_key_permissions),
		T(test_key_errors),      T(test_cert_round_trip),       T(test_cert_overwrite),
		T(test_cert_errors),     T(test_cert_save_invalid),     T(test_read_file),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
