/* SPDX-License-Identifier: MIT */
/* What the status forms share: see status_fmt.h. */
#include <stdio.h>
#include <string.h>

#include "cli/status_fmt.h"

void sf_cell(char *dst, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < CELL - 1; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[i] = '\0';
	if (s[i])
		memcpy(dst + CELL - 4, "...", 4);
}

const char *sf_str(const cJSON *obj, const char *key, const char *dflt)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));

	return s ? s : dflt;
}

bool sf_num(const cJSON *obj, const char *key, double *v)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(item))
		return false;
	*v = item->valuedouble;
	return true;
}

void sf_bytes(double b, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%.0f B", b);
		return;
	}
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", b, units[u]);
}

double sf_sum(const cJSON *obj)
{
	const cJSON *item;
	double sum = 0;

	cJSON_ArrayForEach(item, obj)
		if (cJSON_IsNumber(item))
			sum += item->valuedouble;
	return sum;
}

bool sf_document(const char *json, cJSON **root, char *err, size_t errlen)
{
	const char *daemon_err;
	double version = 0;

	*root = cJSON_Parse(json);
	if (!*root) {
		snprintf(err, errlen, "the daemon's answer is not valid JSON");
		return false;
	}
	if (!cJSON_IsObject(*root)) {
		snprintf(err, errlen, "the daemon's answer is not a JSON object");
		return false;
	}
	if ((daemon_err = sf_str(*root, "error", NULL))) {
		snprintf(err, errlen, "the daemon answered: %s", daemon_err);
		return false;
	}
	if (!sf_num(*root, "version", &version) || version != SF_STATUS_VERSION) {
		snprintf(err, errlen, "unsupported status version (this weft reads version %d)",
			 SF_STATUS_VERSION);
		return false;
	}
	return true;
}
