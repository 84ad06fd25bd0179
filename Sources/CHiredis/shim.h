#ifndef LEADGATE_CHIREDIS_SHIM_H
#define LEADGATE_CHIREDIS_SHIM_H
// Thin helpers for the parts of hiredis Swift cannot reach directly (fixed-size char arrays,
// struct timeval arguments). Commands go through the binary-safe, non-variadic *Argv functions.
#include <hiredis/hiredis.h>

/// `redisContext.errstr` is a `char[128]`, which imports as a tuple.
static inline const char *chiredis_errstr(const redisContext *c) { return c->errstr; }

static inline redisContext *chiredis_connect(const char *ip, int port, long timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return redisConnectWithTimeout(ip, port, tv);
}

static inline redisContext *chiredis_connect_unix(const char *path, long timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return redisConnectUnixWithTimeout(path, tv);
}

static inline int chiredis_set_timeout(redisContext *c, long timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return redisSetTimeout(c, tv);
}

#endif
