#ifndef LEADGATE_CHIREDIS_SHIM_H
#define LEADGATE_CHIREDIS_SHIM_H
// Thin helpers for the parts of hiredis Swift cannot reach directly (fixed-size char arrays,
// struct timeval arguments). Commands go through the binary-safe, non-variadic *Argv functions.
#include <hiredis/hiredis.h>
#include <errno.h>
#include <poll.h>

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

/// The next reply of a subscribed connection, waiting at most `timeout_ms` for the socket: 1 with
/// `*reply` set, 0 when nothing arrived in time (the context stays usable, unlike a read timeout),
/// -1 on an I/O or protocol error.
static inline int chiredis_next_reply(redisContext *c, int timeout_ms, void **reply) {
    *reply = NULL;
    if (redisReaderGetReply(c->reader, reply) != REDIS_OK) return -1;
    if (*reply) return 1;
    struct pollfd p = { c->fd, POLLIN, 0 };
    int r = poll(&p, 1, timeout_ms);
    if (r == 0) return 0;
    if (r < 0) return errno == EINTR ? 0 : -1;
    if (redisBufferRead(c) != REDIS_OK) return -1;
    if (redisReaderGetReply(c->reader, reply) != REDIS_OK) return -1;
    return *reply ? 1 : 0;
}

#endif
