/* SPDX-License-Identifier: MIT */
/* weft's version: what `weft --version` prints and /metrics' weft_build_info
 * says (make WEFT_VERSION=X sets it; the Debian package does). */
#ifndef WEFT_VERSION_H
#define WEFT_VERSION_H

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

#endif
