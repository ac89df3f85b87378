/* loadgen: an epoll load generator for bench/run.sh, fast enough that it is not the cap.
 *
 * T threads (-t), each with its own epoll over its share of N non-blocking connections (-c), to 127.0.0.1,
 * ::1 or a Unix socket path (-h). Every run is bounded: warm-up (-w) then a measured window (-d), then it
 * stops by itself (and alarm() ends it if anything hangs). Connect failures, resets and mismatches are
 * counted and reported, never waited on.
 *
 * Workloads (-m):
 *   echo   SIZE-byte messages, at most DEPTH (-D) in flight per connection: -D 1 is ping-pong (send one,
 *          wait for all SIZE bytes back, repeat), -D 16 keeps 16 in flight (pipelined). Each message
 *          carries its sequence number in its first 8 bytes and a per-connection pattern after it; every
 *          echoed byte is compared with what was sent.
 *   bulk   echo with a large window (default 1 MiB in flight per connection, or -D): streams messages as
 *          fast as the socket takes them while reading the echo back (throughput).
 *          With -f, each echo/bulk message is one frame of a framed protocol (still SIZE bytes in all):
 *          -f line: no '\n' or '\r' in it but a final '\n' (the sequence number is written 7 bits a byte with
 *          the top bit set); -f prefix4: a 4-byte big-endian length of the rest (SIZE - 4), then the rest
 *          (sequence number first). The server echoes the frame; every byte is compared as without -f.
 *   redis  RESP requests, DEPTH in flight: -r get (default; each connection first SETs "key" to SIZE bytes,
 *          then GETs it), -r set (SET key <SIZE bytes>), -r ping. Replies are parsed incrementally (each
 *          byte looked at once) and checked: +OK / +PONG / $SIZE with the value that was set.
 *   http   "GET / HTTP/1.1" with keep-alive, DEPTH in flight; responses are delimited by Content-Length
 *          (headers parsed incrementally); a status other than 2xx counts as a mismatch.
 *
 * TLS (OpenSSL, non-blocking SSL_read / SSL_write / SSL_do_handshake over the same epoll sockets):
 *   --tls             every workload above over TLS: each connection does one full handshake after its TCP
 *                     connect (in the warm-up), then works as without TLS on the plaintext (every byte checked).
 *   --tls-handshakes  handshake rate: each connection slot connects, does a full handshake, sends one SIZE-byte
 *                     echo message, checks the echo, sends close_notify and closes, then starts again, for the
 *                     whole run. msgs_per_s is then completed cycles per second, the latency the whole cycle
 *                     (connect to echo), server_us_per_msg the server's CPU per cycle.
 *   No session is ever resumed (client session cache off, no tickets asked for, no session set on a new SSL), so
 *   every handshake is a full one (resumed= counts SSL_session_reused, to show it). The server's certificate is
 *   not validated (chain and name): this measures the servers' TLS, and every server of a run presents the same
 *   certificate; the handshake's signature is still checked by TLS itself. The negotiated protocol and cipher of
 *   the first handshake are printed.
 *
 * Output: one line of key=value pairs (see print_result), figures over the measured window only.
 * Exit status: 0 ok, 1 mismatches / failures / no messages, 2 usage.
 *
 * Build: cc -O2 -pthread -o loadgen loadgen.c -lssl -lcrypto   (or: make -C bench/loadgen; needs libssl-dev) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* M_HANDSHAKE: --tls-handshakes, one echo message per TLS connection, then a new connection */
enum mode { M_ECHO, M_BULK, M_REDIS, M_HTTP, M_HANDSHAKE };
enum rcmd { R_GET, R_SET, R_PING };
enum framing { F_NONE, F_LINE, F_PREFIX4 };

/* ---- options ---- */
static const char *opt_host = "127.0.0.1";
static int opt_port = 5000, opt_conns = 1, opt_threads = 1, opt_size = 64, opt_depth = 0;
static double opt_duration = 10, opt_warmup = 2;
static enum mode opt_mode = M_ECHO;
static enum rcmd opt_rcmd = R_GET;
static enum framing opt_framing = F_NONE;
static int opt_server_pid = 0;
static const char *opt_label = "-";
static int opt_verbose = 0;
static int opt_tls = 0;

/* TLS: one client context for every connection; what the first completed handshake negotiated */
static SSL_CTX *g_ssl_ctx;
static char g_tls_info[96] = "none";
static int g_tls_info_set = 0;

/* ---- shared state ---- */
static volatile int g_stop = 0;      /* set by main at the end */
static volatile int g_recording = 0; /* latencies recorded while set */
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- latency histogram: log-linear, 32 sub-buckets per power of two (~3% resolution), in ns ---- */
#define SUB_BITS 5
#define SUB (1 << SUB_BITS)
#define HBUCKETS (64 * SUB)
struct hist { uint64_t b[HBUCKETS]; uint64_t count, max; };

static inline int hbucket(uint64_t v) {
    if (v < SUB) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - SUB_BITS;
    return (shift + 1) * SUB + (int)((v >> shift) & (SUB - 1));
}
static inline uint64_t hvalue(int i) { /* upper edge of bucket i */
    if (i < SUB) return (uint64_t)i;
    int shift = i / SUB - 1;
    uint64_t base = ((uint64_t)SUB + (uint64_t)(i % SUB)) << shift;
    return base + ((1ull << shift) - 1);
}
static inline void hrecord(struct hist *h, uint64_t v) {
    h->b[hbucket(v)]++;
    h->count++;
    if (v > h->max) h->max = v;
}
static double hpercentile_us(const struct hist *h, double p) {
    if (h->count == 0) return 0;
    uint64_t want = (uint64_t)(p * (double)h->count + 0.5), seen = 0;
    if (want < 1) want = 1;
    for (int i = 0; i < HBUCKETS; i++) {
        seen += h->b[i];
        if (seen >= want) return (double)(hvalue(i) < h->max ? hvalue(i) : h->max) / 1000.0;
    }
    return (double)h->max / 1000.0;
}

/* ---- connections ---- */
struct conn {
    int fd, id, connected, dead, want_out;
    SSL *ssl;                /* --tls: this connection's TLS state; NULL without TLS */
    int hs_done;             /* the TLS handshake has completed */
    int rd_wants_out;        /* SSL_read asked to wait for writability (a TLS write pending inside a read) */
    unsigned gen;            /* bumped when a --tls-handshakes slot is closed and connected again */
    uint64_t t_open;         /* when this connection's connect() was issued */
    uint64_t tx_seq, tx_off; /* message being written, bytes of it written */
    uint64_t rx_seq, rx_off; /* message being answered, bytes of it seen (echo) */
    uint64_t *ts;            /* send time of message seq, at [seq & ts_mask] */
    /* redis / http reply parser */
    int pstate;
    int64_t pnum;      /* integer being read (bulk length, content-length) */
    int pneg;
    int64_t premain;   /* body bytes left */
    int plen;          /* bytes of the current line seen */
    int pbad;          /* current reply is wrong */
    char line[128];    /* http header line */
    unsigned char *tmpl; /* echo: per-connection pattern */
};

struct worker {
    pthread_t th;
    int index, ep, nconns, live;
    struct conn *conns;
    struct hist hist;
    unsigned char *rbuf, *wbuf;
    /* counters, written by the worker, read by main (relaxed) */
    uint64_t msgs, rx_bytes;
    uint64_t connect_fail, resets, closed, mismatches;
    uint64_t handshakes, tls_errors, resumed;
    uint64_t ts_mask;
    char first_error[160];
};

#define RBUF (256 * 1024)
#define WBUF (256 * 1024)

static struct worker *g_workers;

/* requests */
static char *g_req_set, *g_req_get, *g_req_ping, *g_req_http;
static size_t g_req_set_len, g_req_get_len, g_req_ping_len, g_req_http_len;
static unsigned char *g_value; /* redis value, SIZE bytes */
/* echo: the sequence number's bytes are [g_seq_off, g_seq_off + g_seq_len) of each message (after a length
 * prefix, before a line's '\n'); every other byte is the connection's template (tmpl) */
static size_t g_seq_off, g_seq_len;

/* The sequence number as it is sent: little endian, or (line framing) 7 bits a byte with the top bit set, so
 * that no byte is '\n' or '\r'. */
static inline void seq_header(uint64_t seq, unsigned char hdr[8]) {
    if (opt_framing == F_LINE) {
        for (int i = 0; i < 8; i++) hdr[i] = (unsigned char)(0x80 | ((seq >> (7 * i)) & 0x7f));
    } else {
        memcpy(hdr, &seq, 8);
    }
}

/* Whether the n bytes at p differ from bytes [off, off+n) of echo message seq of connection c. */
static inline int echo_differs(const struct conn *c, uint64_t seq, size_t off, const unsigned char *p, size_t n) {
    size_t hs = g_seq_off, he = g_seq_off + g_seq_len, end = off + n;
    if (off >= he || end <= hs) return memcmp(p, c->tmpl + off, n) != 0;
    unsigned char hdr[8];
    seq_header(seq, hdr);
    size_t a = off > hs ? off : hs, b = end < he ? end : he;
    int bad = 0;
    for (size_t i = a; i < b; i++) bad |= p[i - off] != hdr[i - hs];
    if (a > off) bad |= memcmp(p, c->tmpl + off, a - off) != 0;
    if (end > b) bad |= memcmp(p + (b - off), c->tmpl + b, end - b) != 0;
    return bad;
}

static inline void bump(uint64_t *p, uint64_t by) { __atomic_store_n(p, *p + by, __ATOMIC_RELAXED); }
static inline uint64_t rd(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static void note_error(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct worker *w, const char *fmt, ...) {
    if (w->first_error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->first_error, sizeof w->first_error, fmt, ap);
    va_end(ap);
}

/* Length of request seq, and its bytes. */
static inline size_t req_len(uint64_t seq) {
    switch (opt_mode) {
    case M_ECHO: case M_BULK: case M_HANDSHAKE: return (size_t)opt_size;
    case M_HTTP: return g_req_http_len;
    case M_REDIS:
        if (opt_rcmd == R_PING) return g_req_ping_len;
        if (opt_rcmd == R_SET || seq == 0) return g_req_set_len;
        return g_req_get_len;
    }
    return 0;
}
/* Copy bytes [off, off+n) of request seq to dst. */
static inline void req_copy(const struct conn *c, uint64_t seq, size_t off, unsigned char *dst, size_t n) {
    if (opt_mode == M_ECHO || opt_mode == M_BULK || opt_mode == M_HANDSHAKE) {
        /* the template, with the sequence number in its place */
        memcpy(dst, c->tmpl + off, n);
        size_t hs = g_seq_off, he = g_seq_off + g_seq_len;
        if (off < he && off + n > hs) {
            unsigned char hdr[8];
            seq_header(seq, hdr);
            for (size_t i = hs > off ? hs : off; i < he && i < off + n; i++) dst[i - off] = hdr[i - hs];
        }
        return;
    }
    const char *src = opt_mode == M_HTTP ? g_req_http
        : opt_rcmd == R_PING ? g_req_ping
        : (opt_rcmd == R_SET || seq == 0) ? g_req_set : g_req_get;
    memcpy(dst, src + off, n);
}

static void set_out(struct worker *w, struct conn *c, int want) {
    want |= c->rd_wants_out; /* a TLS read waiting for writability keeps EPOLLOUT */
    if (c->want_out == want) return;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

/* Closes the descriptor (and frees the TLS state) of a connection that is given up. */
static void drop_conn(struct worker *w, struct conn *c) {
    c->dead = 1;
    __atomic_store_n(&w->live, w->live - 1, __ATOMIC_RELAXED);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }
    close(c->fd);
}

static void kill_conn(struct worker *w, struct conn *c, int err, const char *what) {
    if (c->dead) return;
    drop_conn(w, c);
    if (!c->connected) { bump(&w->connect_fail, 1); note_error(w, "connect %d: %s", c->id, strerror(err)); }
    else if (err) { bump(&w->resets, 1); note_error(w, "conn %d %s: %s", c->id, what, strerror(err)); }
    else { bump(&w->closed, 1); note_error(w, "conn %d: closed by the server (%s)", c->id, what); }
}

/* A failed SSL call (e = SSL_get_error) that is not a wait: end the connection and count why. The peer's
 * close_notify or end of stream counts as closed, a socket error as a reset, a TLS protocol error (a failed
 * handshake, a bad record) as tls_errors. */
static void tls_fail(struct worker *w, struct conn *c, int e, const char *what) {
    int err = errno;
    if (e == SSL_ERROR_ZERO_RETURN) { kill_conn(w, c, 0, "close_notify"); return; }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) { kill_conn(w, c, err, what); return; }
    char buf[128];
    ERR_error_string_n(ERR_peek_error(), buf, sizeof buf);
    ERR_clear_error();
    if (c->dead) return;
    bump(&w->tls_errors, 1);
    note_error(w, "conn %d tls %s: %s", c->id, what, buf);
    drop_conn(w, c);
}

static void pump(struct worker *w, struct conn *c, uint64_t depth);

/* Drives the handshake on each readiness; once complete, starts the workload. */
static void tls_handshake(struct worker *w, struct conn *c, uint64_t depth) {
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->hs_done = 1;
        bump(&w->handshakes, 1);
        if (SSL_session_reused(c->ssl)) bump(&w->resumed, 1); /* should stay 0: the proof that each was a full one */
        if (!__atomic_exchange_n(&g_tls_info_set, 1, __ATOMIC_ACQ_REL))
            snprintf(g_tls_info, sizeof g_tls_info, "%s/%s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
        pump(w, c, depth);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) { set_out(w, c, 0); return; }
    if (e == SSL_ERROR_WANT_WRITE) { set_out(w, c, 1); return; }
    tls_fail(w, c, e, "handshake");
}

/* Write as much as the window and the socket allow. */
static void pump(struct worker *w, struct conn *c, uint64_t depth) {
    /* TLS: at most one record's plaintext per SSL_write. With partial writes each call takes one record; a
     * larger buffer would be rebuilt (copied) again after every record. A write that must wait is retried with
     * the same bytes at least as long (rebuilt from tx_seq/tx_off, which advance only when bytes are taken, and
     * the window only grows), as OpenSSL requires (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER for the new address). */
    size_t cap = c->ssl ? 16384 : WBUF;
    for (;;) {
        size_t fill = 0;
        uint64_t seq = c->tx_seq, off = c->tx_off;
        while (fill < cap) {
            if (off == 0 && seq - c->rx_seq >= depth) break; /* window full */
            size_t len = req_len(seq), k = len - off;
            if (k > cap - fill) k = cap - fill;
            req_copy(c, seq, off, w->wbuf + fill, k);
            fill += k; off += k;
            if (off == len) { seq++; off = 0; }
        }
        if (fill == 0) { set_out(w, c, 0); return; }
        uint64_t t = now_ns(); /* before send: on loopback the reply can come back before send() returns */
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, w->wbuf, (int)fill);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE) { set_out(w, c, 1); return; }
                if (e == SSL_ERROR_WANT_READ) { set_out(w, c, 0); return; } /* EPOLLIN is always on; on_readable pumps */
                tls_fail(w, c, e, "write");
                return;
            }
            n = r;
        } else {
            n = send(c->fd, w->wbuf, fill, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) { set_out(w, c, 1); return; }
            if (errno == EINTR) continue;
            kill_conn(w, c, errno, "send");
            return;
        }
        /* advance by n, stamping each message whose first byte went out */
        size_t left = (size_t)n;
        while (left > 0) {
            if (c->tx_off == 0) c->ts[c->tx_seq & w->ts_mask] = t;
            size_t len = req_len(c->tx_seq), k = len - c->tx_off;
            if (k > left) k = left;
            c->tx_off += k; left -= k;
            if (c->tx_off == len) { c->tx_seq++; c->tx_off = 0; }
        }
        if ((size_t)n < fill && !c->ssl) { set_out(w, c, 1); return; } /* TLS: one record taken, try the next */
    }
}

static inline void complete(struct worker *w, struct conn *c, uint64_t t, int bad) {
    if (bad) {
        bump(&w->mismatches, 1);
        note_error(w, "conn %d: reply %llu differs from what was expected", c->id, (unsigned long long)c->rx_seq);
    }
    /* --tls-handshakes: the whole cycle, from connect() to the echo */
    if (g_recording) hrecord(&w->hist, t - (opt_mode == M_HANDSHAKE ? c->t_open : c->ts[c->rx_seq & w->ts_mask]));
    c->rx_seq++;
    bump(&w->msgs, 1);
}

/* Echo: compare each byte with what was sent. */
static void on_echo(struct worker *w, struct conn *c, const unsigned char *p, size_t n, uint64_t t) {
    size_t size = (size_t)opt_size;
    while (n > 0) {
        if (c->rx_seq >= c->tx_seq + (c->tx_off ? 1 : 0)) { /* more than was sent */
            bump(&w->mismatches, 1);
            note_error(w, "conn %d: %zu bytes more than were sent", c->id, n);
            return;
        }
        size_t k = size - c->rx_off;
        if (k > n) k = n;
        int bad = c->pbad | echo_differs(c, c->rx_seq, c->rx_off, p, k);
        c->pbad = bad;
        c->rx_off += k; p += k; n -= k;
        if (c->rx_off == size) { complete(w, c, t, bad); c->rx_off = 0; c->pbad = 0; }
    }
}

/* RESP reply parser: one pass over the bytes, state kept between reads (no re-scanning).
 * Expected: +OK (SET, and the first request in get mode), +PONG (ping), $SIZE + the value (GET).
 * Anything else (an error, an integer, nil, an array) is a complete but wrong reply: a mismatch.
 * An array's elements (one level) are consumed and the array counts as one wrong reply. */
enum { P_TYPE, P_SIMPLE, P_SIMPLE_LF, P_INT, P_INT_LF, P_BULK, P_BULK_CR, P_BULK_LF };
static inline void resp_done(struct worker *w, struct conn *c, uint64_t t, int bad) {
    c->pbad = 0;
    c->pstate = P_TYPE;
    if (c->premain > 0) { /* an element of an (unexpected) array */
        if (--c->premain == 0) complete(w, c, t, 1);
        return;
    }
    complete(w, c, t, bad);
}
static void on_redis(struct worker *w, struct conn *c, const unsigned char *p, size_t n, uint64_t t) {
    const char *want = opt_rcmd == R_PING ? "PONG" : "OK";
    const int64_t wl = (int64_t)strlen(want);
    const unsigned char *end = p + n;
    while (p < end) {
        int expect_bulk = opt_rcmd == R_GET && c->rx_seq > 0;
        switch (c->pstate) {
        case P_TYPE: {
            unsigned char ch = *p++;
            c->plen = 0; c->pnum = 0; c->pneg = 0; c->line[0] = (char)ch;
            if (ch == '+') { c->pstate = P_SIMPLE; if (expect_bulk) c->pbad = 1; }
            else if (ch == '-') { c->pstate = P_SIMPLE; c->pbad = 1; }
            else if (ch == ':' || ch == '$' || ch == '*') c->pstate = P_INT;
            else { /* not RESP: count it, look for the next type byte */
                bump(&w->mismatches, 1);
                note_error(w, "conn %d: bad RESP type byte 0x%02x", c->id, ch);
            }
            break;
        }
        case P_SIMPLE: /* compared with the expected text as it goes by */
            while (p < end && *p != '\r') {
                if (c->plen >= wl || want[c->plen] != (char)*p) c->pbad = 1;
                c->plen++; p++;
            }
            if (p < end) {
                p++;
                if (c->plen != wl) c->pbad = 1;
                if (c->pbad && c->line[0] == '-') note_error(w, "conn %d: the server answered an error", c->id);
                c->pstate = P_SIMPLE_LF;
            }
            break;
        case P_SIMPLE_LF:
            if (*p++ != '\n') c->pbad = 1;
            resp_done(w, c, t, c->pbad);
            break;
        case P_INT:
            while (p < end && *p != '\r') {
                if (*p == '-') c->pneg = 1; else c->pnum = c->pnum * 10 + (*p - '0');
                p++;
            }
            if (p < end) { p++; c->pstate = P_INT_LF; }
            break;
        case P_INT_LF: {
            p++;
            int64_t v = c->pneg ? -c->pnum : c->pnum;
            if (c->line[0] == '$' && v >= 0) {
                if (v != opt_size || !expect_bulk) c->pbad = 1;
                c->pnum = v; c->plen = 0;
                c->pstate = v > 0 ? P_BULK : P_BULK_CR;
            } else if (c->line[0] == '*' && v > 0 && c->premain == 0) {
                c->premain = v; c->pstate = P_TYPE;
            } else {
                resp_done(w, c, t, 1); /* :n, $-1 (nil), *-1, *0, nested array */
            }
            break;
        }
        case P_BULK: {
            size_t k = (size_t)(c->pnum - c->plen);
            if (k > (size_t)(end - p)) k = (size_t)(end - p);
            if (!c->pbad && memcmp(p, g_value + c->plen, k) != 0) c->pbad = 1;
            c->plen += (int)k; p += k;
            if (c->plen == c->pnum) c->pstate = P_BULK_CR;
            break;
        }
        case P_BULK_CR:
            if (*p++ != '\r') c->pbad = 1;
            c->pstate = P_BULK_LF;
            break;
        case P_BULK_LF:
            if (*p++ != '\n') c->pbad = 1;
            resp_done(w, c, t, c->pbad);
            break;
        }
    }
}

/* HTTP/1.1 response parser: status line and headers a line at a time, then Content-Length body bytes. */
enum { H_LINE, H_BODY };
static void http_header_line(struct worker *w, struct conn *c, uint64_t t) {
    char *l = c->line;
    int n = c->plen;
    if (n > (int)sizeof c->line - 1) n = sizeof c->line - 1;
    l[n] = 0;
    if (c->pneg == 0) { /* status line */
        c->pneg = 1; c->pnum = -1;
        if (n < 12 || strncmp(l, "HTTP/1.", 7) != 0 || l[9] != '2') c->pbad = 1;
    } else if (n == 0) { /* end of the head */
        if (c->pnum < 0) { c->pbad = 1; c->pnum = 0; note_error(w, "conn %d: response without Content-Length", c->id); }
        c->premain = c->pnum;
        c->pstate = H_BODY;
        if (c->premain == 0) { int bad = c->pbad; c->pbad = 0; c->pneg = 0; c->pstate = H_LINE; complete(w, c, t, bad); }
    } else if (strncasecmp(l, "content-length:", 15) == 0) {
        c->pnum = strtoll(l + 15, NULL, 10);
    }
    c->plen = 0;
}
static void on_http(struct worker *w, struct conn *c, const unsigned char *p, size_t n, uint64_t t) {
    const unsigned char *end = p + n;
    while (p < end) {
        if (c->pstate == H_LINE) {
            while (p < end) {
                unsigned char ch = *p++;
                if (ch == '\n') { http_header_line(w, c, t); break; }
                if (ch != '\r') { if (c->plen < (int)sizeof c->line - 1) c->line[c->plen] = (char)ch; c->plen++; }
            }
        } else {
            size_t k = (size_t)c->premain;
            if (k > (size_t)(end - p)) k = (size_t)(end - p);
            p += k; c->premain -= (int64_t)k;
            if (c->premain == 0) { int bad = c->pbad; c->pbad = 0; c->pneg = 0; c->pstate = H_LINE; complete(w, c, t, bad); }
        }
    }
}

static int open_conn(struct worker *w, struct conn *c);

/* --tls-handshakes: close the connection (close_notify first, without waiting for the server's) and start a
 * new one in the same slot; its generation changes, so events already taken for the old one are skipped. */
static void recycle_conn(struct worker *w, struct conn *c) {
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = NULL;
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->gen++;
    c->connected = c->hs_done = c->rd_wants_out = c->want_out = 0;
    c->tx_seq = c->tx_off = c->rx_seq = c->rx_off = 0;
    c->pbad = 0;
    open_conn(w, c);
}

static void on_readable(struct worker *w, struct conn *c, uint64_t depth) {
    size_t taken = 0;
    for (;;) {
        ssize_t n;
        if (c->ssl) {
            /* Until OpenSSL wants more ciphertext (one record per call); at most RBUF a readiness, the rest
             * stays in the kernel (no read-ahead), where level-triggered epoll reports it again. */
            if (taken >= RBUF) break;
            ERR_clear_error();
            int r = SSL_read(c->ssl, w->rbuf, RBUF);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ) break;
                if (e == SSL_ERROR_WANT_WRITE) { c->rd_wants_out = 1; set_out(w, c, 1); return; }
                tls_fail(w, c, e, "read");
                return;
            }
            n = r;
            taken += (size_t)n;
        } else {
            n = recv(c->fd, w->rbuf, RBUF, 0);
        }
        if (n == 0) { kill_conn(w, c, 0, "eof"); return; }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            kill_conn(w, c, errno, "recv");
            return;
        }
        uint64_t t = now_ns();
        bump(&w->rx_bytes, (uint64_t)n);
        if (opt_mode == M_REDIS) on_redis(w, c, w->rbuf, (size_t)n, t);
        else if (opt_mode == M_HTTP) on_http(w, c, w->rbuf, (size_t)n, t);
        else on_echo(w, c, w->rbuf, (size_t)n, t);
        if (opt_mode == M_HANDSHAKE && c->rx_seq >= 1 && !c->dead) { recycle_conn(w, c); return; }
        if (n < RBUF && !c->ssl) break;
    }
    pump(w, c, depth);
}

static int open_conn(struct worker *w, struct conn *c) {
    int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { bump(&w->connect_fail, 1); note_error(w, "socket: %s", strerror(errno)); c->dead = 1; w->live--; return -1; }
    if (g_addr.ss_family != AF_UNIX) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
    c->fd = fd;
    c->t_open = now_ns();
    if (opt_tls) {
        c->ssl = SSL_new(g_ssl_ctx);
        if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
            close(fd); c->dead = 1; w->live--; bump(&w->tls_errors, 1); note_error(w, "SSL_new/SSL_set_fd failed");
            return -1;
        }
        SSL_set_connect_state(c->ssl);
        SSL_set_tlsext_host_name(c->ssl, "localhost"); /* SNI, as a client naming the certificate's host sends it */
    }
    int r, tries = 0;
    while ((r = connect(fd, (struct sockaddr *)&g_addr, g_addrlen)) < 0 && errno == EAGAIN && tries++ < 200)
        usleep(1000); /* a Unix socket's backlog is full: try again shortly */
    if (r < 0 && errno != EINPROGRESS) {
        int e = errno;
        if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }
        close(fd); c->dead = 1; w->live--; bump(&w->connect_fail, 1); note_error(w, "connect %d: %s", c->id, strerror(e));
        return -1;
    }
    c->connected = r == 0;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLOUT, .data.ptr = c };
    c->want_out = 1;
    epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    uint64_t depth = (uint64_t)opt_depth;
    for (int i = 0; i < w->nconns; i++) open_conn(w, &w->conns[i]);
    struct epoll_event evs[256];
    while (!g_stop && w->live > 0) {
        int n = epoll_wait(w->ep, evs, 256, 50);
        if (n < 0 && errno != EINTR) { note_error(w, "epoll_wait: %s", strerror(errno)); break; }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->dead) continue;
            if (!c->connected) {
                int err = 0; socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) { kill_conn(w, c, err, "connect"); continue; }
                if (!(evs[i].events & EPOLLOUT)) continue;
                c->connected = 1;
                if (c->ssl) tls_handshake(w, c, depth);
                else pump(w, c, depth);
                continue;
            }
            if (c->ssl && !c->hs_done) { tls_handshake(w, c, depth); continue; }
            unsigned gen = c->gen;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) on_readable(w, c, depth);
            if (c->dead || c->gen != gen) continue; /* given up, or (--tls-handshakes) a new connection now */
            if (c->rd_wants_out && (evs[i].events & EPOLLOUT)) { c->rd_wants_out = 0; on_readable(w, c, depth); }
            if (!c->dead && c->gen == gen && (evs[i].events & EPOLLOUT)) pump(w, c, depth);
        }
    }
    return NULL;
}

static int accept_any_chain(X509_STORE_CTX *store, void *arg) { (void)store; (void)arg; return 1; }

/* ---- CPU accounting ---- */
static double self_cpu(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    return *user + *sys;
}
static double proc_cpu(int pid) { /* utime+stime of a process, seconds; -1 if unknown */
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut = 0, st = 0;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
struct stat_cpu { unsigned long long total, busy, steal, irq; };
static struct stat_cpu machine_cpu(void) { /* first line of /proc/stat, in ticks */
    struct stat_cpu s = { 0, 0, 0, 0 };
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return s;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
        for (int i = 0; i < 8; i++) s.total += v[i];
        /* not idle, iowait or steal; nor interrupt and softirq time, which the kernel charges to no process: the
           network's receive work, which under a server CPU quota rose to 25-35 % of a core for every server alike */
        s.busy = s.total - v[3] - v[4] - v[5] - v[6] - v[7];
        s.steal = v[7];
        s.irq = v[5] + v[6];
    }
    fclose(f);
    return s;
}

static void sleep_s(double s) {
    uint64_t until = now_ns() + (uint64_t)(s * 1e9);
    for (;;) {
        uint64_t t = now_ns();
        if (t >= until) return;
        int live = 0; /* end early if every connection is gone */
        for (int i = 0; i < opt_threads; i++) live += __atomic_load_n(&g_workers[i].live, __ATOMIC_RELAXED);
        if (!live) return;
        uint64_t d = until - t;
        if (d > 50000000) d = 50000000;
        struct timespec ts = { 0, (long)d };
        nanosleep(&ts, NULL);
    }
}

static uint64_t sum(size_t field_off) {
    uint64_t s = 0;
    for (int i = 0; i < opt_threads; i++) s += rd((const uint64_t *)((const char *)&g_workers[i] + field_off));
    return s;
}
#define SUM(f) sum(offsetof(struct worker, f))

static void usage(void) {
    fprintf(stderr,
        "usage: loadgen [-m echo|bulk|redis|http] [-h HOST|/unix/path] [-p PORT] [-c CONNS] [-t THREADS]\n"
        "               [-d SECONDS] [-w WARMUP_SECONDS] [-s SIZE] [-D DEPTH] [-r get|set|ping]\n"
        "               [-f none|line|prefix4] [-S SERVER_PID] [-l LABEL] [-v] [--tls | --tls-handshakes]\n"
        "  -h  127.0.0.1 (default), ::1, or a path (Unix socket)      -c  connections (1)\n"
        "  -t  threads, each with its own epoll (1)                   -d  measured seconds (10)\n"
        "  -w  warm-up seconds (2)                                    -s  message / value bytes (64)\n"
        "  -D  messages in flight per connection (1; bulk: 1 MiB worth)\n"
        "  -r  redis command (get: SET once then GET; set; ping)      -S  also report this process's CPU\n"
        "  -f  echo/bulk framing: line (ends with its only '\\n'), prefix4 (4-byte big-endian length, then the rest)\n"
        "  --tls             the workload over TLS (a full handshake per connection, in the warm-up)\n"
        "  --tls-handshakes  connect, full TLS handshake, one SIZE-byte echo, close, again: cycles per second\n"
        "Prints one line of key=value pairs; exit 0 ok, 1 failures or mismatches, 2 usage.\n");
}

int main(int argc, char **argv) {
    int o;
    static const struct option longopts[] = {
        { "tls", no_argument, NULL, 1 }, { "tls-handshakes", no_argument, NULL, 2 }, { NULL, 0, NULL, 0 } };
    while ((o = getopt_long(argc, argv, "m:h:p:c:t:d:w:s:D:r:f:S:l:v", longopts, NULL)) != -1) {
        switch (o) {
        case 1: opt_tls = 1; break;
        case 2: opt_tls = 1; opt_mode = M_HANDSHAKE; break;
        case 'm':
            if (!strcmp(optarg, "echo")) opt_mode = M_ECHO;
            else if (!strcmp(optarg, "bulk")) opt_mode = M_BULK;
            else if (!strcmp(optarg, "redis")) opt_mode = M_REDIS;
            else if (!strcmp(optarg, "http")) opt_mode = M_HTTP;
            else { usage(); return 2; }
            break;
        case 'h': opt_host = optarg; break;
        case 'p': opt_port = atoi(optarg); break;
        case 'c': opt_conns = atoi(optarg); break;
        case 't': opt_threads = atoi(optarg); break;
        case 'd': opt_duration = atof(optarg); break;
        case 'w': opt_warmup = atof(optarg); break;
        case 's': opt_size = atoi(optarg); break;
        case 'D': opt_depth = atoi(optarg); break;
        case 'r':
            if (!strcmp(optarg, "get")) opt_rcmd = R_GET;
            else if (!strcmp(optarg, "set")) opt_rcmd = R_SET;
            else if (!strcmp(optarg, "ping")) opt_rcmd = R_PING;
            else { usage(); return 2; }
            break;
        case 'f':
            if (!strcmp(optarg, "none")) opt_framing = F_NONE;
            else if (!strcmp(optarg, "line")) opt_framing = F_LINE;
            else if (!strcmp(optarg, "prefix4")) opt_framing = F_PREFIX4;
            else { usage(); return 2; }
            break;
        case 'S': opt_server_pid = atoi(optarg); break;
        case 'l': opt_label = optarg; break;
        case 'v': opt_verbose = 1; break;
        default: usage(); return 2;
        }
    }
    if (opt_conns < 1 || opt_threads < 1 || opt_size < 1 || opt_depth < 0 || opt_duration <= 0 || opt_warmup < 0) { usage(); return 2; }
    if (opt_mode == M_HANDSHAKE && opt_depth > 1) { fprintf(stderr, "--tls-handshakes sends one message per connection (-D 1)\n"); return 2; }
    if (opt_framing != F_NONE && opt_mode != M_ECHO && opt_mode != M_BULK) { fprintf(stderr, "-f is for -m echo and bulk\n"); return 2; }
    if (opt_framing == F_PREFIX4 && opt_size < 4) { fprintf(stderr, "-f prefix4 needs -s 4 or more\n"); return 2; }
    if (opt_depth == 0) opt_depth = opt_mode == M_BULK ? ((1 << 20) / opt_size > 16 ? (1 << 20) / opt_size : 16) : 1;
    if (opt_threads > opt_conns) opt_threads = opt_conns;
    signal(SIGPIPE, SIG_IGN);
    if (opt_tls) {
        g_ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (!g_ssl_ctx) { fprintf(stderr, "SSL_CTX_new failed\n"); return 2; }
        SSL_CTX_set_min_proto_version(g_ssl_ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(g_ssl_ctx, SSL_VERIFY_NONE, NULL);            /* see the top: no chain validation */
        /* With VERIFY_NONE OpenSSL still builds and checks the chain (a signature check of the certificate) and
         * only ignores the verdict; this callback skips that client-side work. The handshake's own signature
         * (CertificateVerify) is still checked. */
        SSL_CTX_set_cert_verify_callback(g_ssl_ctx, accept_any_chain, NULL);
        SSL_CTX_set_session_cache_mode(g_ssl_ctx, SSL_SESS_CACHE_OFF);   /* every handshake a full one */
        SSL_CTX_set_options(g_ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_mode(g_ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    alarm((unsigned)(opt_warmup + opt_duration + 15)); /* hard bound: SIGALRM ends the process */

    /* target */
    memset(&g_addr, 0, sizeof g_addr);
    if (opt_host[0] == '/' || opt_host[0] == '.') {
        struct sockaddr_un *u = (struct sockaddr_un *)&g_addr;
        u->sun_family = AF_UNIX;
        if (strlen(opt_host) >= sizeof u->sun_path) { fprintf(stderr, "unix path too long\n"); return 2; }
        strcpy(u->sun_path, opt_host);
        g_addrlen = sizeof *u;
    } else if (strchr(opt_host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g_addr;
        a->sin6_family = AF_INET6; a->sin6_port = htons((uint16_t)opt_port);
        if (inet_pton(AF_INET6, opt_host, &a->sin6_addr) != 1) { fprintf(stderr, "bad address %s\n", opt_host); return 2; }
        g_addrlen = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&g_addr;
        a->sin_family = AF_INET; a->sin_port = htons((uint16_t)opt_port);
        if (inet_pton(AF_INET, opt_host, &a->sin_addr) != 1) { fprintf(stderr, "bad address %s (numeric only)\n", opt_host); return 2; }
        g_addrlen = sizeof *a;
    }

    /* requests */
    g_value = malloc((size_t)opt_size);
    for (int i = 0; i < opt_size; i++) g_value[i] = (unsigned char)('a' + i % 26);
    g_req_set = malloc((size_t)opt_size + 64);
    g_req_set_len = (size_t)sprintf(g_req_set, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%d\r\n", opt_size);
    memcpy(g_req_set + g_req_set_len, g_value, (size_t)opt_size);
    g_req_set_len += (size_t)opt_size;
    memcpy(g_req_set + g_req_set_len, "\r\n", 2); g_req_set_len += 2;
    g_req_get = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"; g_req_get_len = strlen(g_req_get);
    g_req_ping = "*1\r\n$4\r\nPING\r\n"; g_req_ping_len = strlen(g_req_ping);
    g_req_http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"; g_req_http_len = strlen(g_req_http);

    /* echo messages: where the sequence number goes */
    g_seq_off = opt_framing == F_PREFIX4 ? 4 : 0;
    {
        size_t room = (size_t)opt_size - g_seq_off - (opt_framing == F_LINE ? 1 : 0);
        g_seq_len = room < 8 ? room : 8;
    }

    /* workers */
    uint64_t cap = 1;
    while (cap < (uint64_t)opt_depth) cap <<= 1;
    g_workers = calloc((size_t)opt_threads, sizeof *g_workers);
    for (int i = 0; i < opt_threads; i++) {
        struct worker *w = &g_workers[i];
        w->index = i;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        w->nconns = opt_conns / opt_threads + (i < opt_conns % opt_threads);
        w->live = w->nconns;
        w->conns = calloc((size_t)w->nconns, sizeof *w->conns);
        w->rbuf = malloc(RBUF); w->wbuf = malloc(WBUF);
        w->ts_mask = cap - 1;
        for (int j = 0; j < w->nconns; j++) {
            struct conn *c = &w->conns[j];
            c->id = i + j * opt_threads;
            c->fd = -1;
            c->ts = calloc(cap, sizeof *c->ts);
            if (opt_mode == M_ECHO || opt_mode == M_BULK || opt_mode == M_HANDSHAKE) {
                c->tmpl = malloc((size_t)opt_size);
                for (int k = 0; k < opt_size; k++) {
                    unsigned char b = (unsigned char)(k * 31 + c->id * 7 + 1);
                    if (opt_framing == F_LINE && (b == '\n' || b == '\r')) b ^= 0x40;
                    c->tmpl[k] = b;
                }
                if (opt_framing == F_LINE) c->tmpl[opt_size - 1] = '\n';
                if (opt_framing == F_PREFIX4) {
                    uint32_t len = (uint32_t)opt_size - 4;
                    c->tmpl[0] = (unsigned char)(len >> 24); c->tmpl[1] = (unsigned char)(len >> 16);
                    c->tmpl[2] = (unsigned char)(len >> 8); c->tmpl[3] = (unsigned char)len;
                }
            }
        }
    }
    uint64_t t_start = now_ns();
    for (int i = 0; i < opt_threads; i++) pthread_create(&g_workers[i].th, NULL, worker_main, &g_workers[i]);

    sleep_s(opt_warmup);
    double u0, s0, u1, s1;
    self_cpu(&u0, &s0);
    double srv0 = opt_server_pid ? proc_cpu(opt_server_pid) : -1;
    struct stat_cpu m0 = machine_cpu();
    uint64_t msgs0 = SUM(msgs), bytes0 = SUM(rx_bytes), hs0 = SUM(handshakes), t0 = now_ns();
    g_recording = 1;

    sleep_s(opt_duration);

    g_recording = 0;
    uint64_t t1 = now_ns(), msgs1 = SUM(msgs), bytes1 = SUM(rx_bytes), hs1 = SUM(handshakes);
    self_cpu(&u1, &s1);
    double srv1 = opt_server_pid ? proc_cpu(opt_server_pid) : -1;
    struct stat_cpu m1 = machine_cpu();
    g_stop = 1;
    for (int i = 0; i < opt_threads; i++) pthread_join(g_workers[i].th, NULL);

    /* connections that never connected by now count as connect failures */
    uint64_t pending = 0;
    for (int i = 0; i < opt_threads; i++)
        for (int j = 0; j < g_workers[i].nconns; j++) {
            struct conn *c = &g_workers[i].conns[j];
            /* (--tls-handshakes: slots are always connecting again, so one still connecting is no failure) */
            if (!c->dead && !c->connected && opt_mode != M_HANDSHAKE) pending++;
            if (!c->dead) close(c->fd);
        }

    struct hist h;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < opt_threads; i++) {
        for (int k = 0; k < HBUCKETS; k++) h.b[k] += g_workers[i].hist.b[k];
        h.count += g_workers[i].hist.count;
        if (g_workers[i].hist.max > h.max) h.max = g_workers[i].hist.max;
    }
    double secs = (double)(t1 - t0) / 1e9;
    if (secs < 1e-3) secs = 1e-3; /* every connection failed at once */
    uint64_t msgs = msgs1 - msgs0;
    double rate = msgs / secs, mbs = (double)(bytes1 - bytes0) / secs / 1e6;
    double cpu = (u1 - u0) + (s1 - s0), cpu_pct = cpu / secs * 100;
    double srv = srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1;
    double tot = (double)(m1.total - m0.total);
    double steal_pct = tot > 0 ? (double)(m1.steal - m0.steal) * 100.0 / tot : -1;
    /* every core's busy time, less this client and the server: what others used, in % of one core */
    double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
    double other_pct = tot > 0 ? ((double)(m1.busy - m0.busy) * tick - cpu - (srv > 0 ? srv : 0)) / secs * 100 : -1;
    if (other_pct < 0 && tot > 0) other_pct = 0;
    double softirq_pct = tot > 0 ? (double)(m1.irq - m0.irq) * tick / secs * 100 : -1; /* in % of one core */
    uint64_t cfail = SUM(connect_fail) + pending, resets = SUM(resets), closed = SUM(closed), mism = SUM(mismatches);
    uint64_t tls_errors = SUM(tls_errors);
    int ok = mism == 0 && cfail == 0 && resets == 0 && closed == 0 && tls_errors == 0 && msgs > 0;
    const char *mode = opt_mode == M_ECHO ? "echo" : opt_mode == M_BULK ? "bulk" : opt_mode == M_REDIS ? "redis"
        : opt_mode == M_HTTP ? "http" : "tls-handshakes";
    char target[160];
    if (g_addr.ss_family == AF_UNIX) snprintf(target, sizeof target, "unix:%s", opt_host);
    else snprintf(target, sizeof target, "%s:%d", opt_host, opt_port);
    printf("loadgen label=%s mode=%s framing=%s target=%s conns=%d threads=%d size=%d depth=%d window_s=%.3f msgs=%llu "
           "msgs_per_s=%.0f mb_per_s=%.2f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
           "cpu_user_s=%.3f cpu_sys_s=%.3f cpu_pct=%.0f server_cpu_pct=%.0f server_us_per_msg=%.2f other_cpu_pct=%.0f "
           "steal_pct=%.1f softirq_pct=%.0f tls=%s handshakes=%llu handshakes_per_s=%.0f resumed=%llu tls_errors=%llu "
           "connect_fail=%llu resets=%llu closed=%llu mismatches=%llu status=%s\n",
           opt_label, mode, opt_framing == F_LINE ? "line" : opt_framing == F_PREFIX4 ? "prefix4" : "none", target, opt_conns, opt_threads, opt_size, opt_depth, secs, (unsigned long long)msgs,
           rate, mbs, hpercentile_us(&h, 0.50), hpercentile_us(&h, 0.99), hpercentile_us(&h, 0.999), (double)h.max / 1000.0,
           u1 - u0, s1 - s0, cpu_pct, srv >= 0 ? srv / secs * 100 : -1.0, srv >= 0 && msgs ? srv / (double)msgs * 1e6 : -1.0,
           other_pct, steal_pct, softirq_pct, opt_tls ? g_tls_info : "none", (unsigned long long)SUM(handshakes), (double)(hs1 - hs0) / secs,
           (unsigned long long)SUM(resumed), (unsigned long long)tls_errors,
           (unsigned long long)cfail, (unsigned long long)resets, (unsigned long long)closed, (unsigned long long)mism,
           ok ? "ok" : mism ? "MISMATCH" : msgs == 0 ? "no-messages" : "errors");
    fflush(stdout);
    for (int i = 0; i < opt_threads; i++)
        if (g_workers[i].first_error[0]) fprintf(stderr, "loadgen: thread %d: %s\n", i, g_workers[i].first_error);
    if (mism) fprintf(stderr, "loadgen: %llu replies differed from what was sent/expected\n", (unsigned long long)mism);
    if (opt_verbose) fprintf(stderr, "loadgen: %.3f s total\n", (double)(now_ns() - t_start) / 1e9);
    return ok ? 0 : 1;
}
