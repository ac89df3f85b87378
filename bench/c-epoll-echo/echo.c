/* Reference point for bench/run.sh: a bare single-threaded C epoll echo server on 127.0.0.1.
 * Level-triggered, non-blocking, TCP_NODELAY, one 16 KiB read buffer (BUF); what send() does not take is kept
 * per connection and reads of that connection pause until it is flushed (the same policy as Conserv).
 * With SPIN_US > 0 it busy-polls (epoll_wait with timeout 0) for that long before blocking, to show what
 * sleeping in epoll_wait costs in round-trip latency on this machine.
 * Build: cc -O2 -o echo echo.c    Run: ./echo PORT [MAX_SECONDS [SPIN_US]]   (prints "LISTENING port pid") */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_EVENTS 256
#ifndef BUF
#define BUF 16384 /* -DBUF=262144 builds the bulk variant (c-epoll-256k in run.sh) */
#endif

struct conn { int fd; char *pending; size_t off, len; };

static void want(int ep, struct conn *c, unsigned events) {
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void drop(struct conn *c) { close(c->fd); free(c->pending); free(c); }

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 5000;
    alarm(argc > 2 ? atoi(argv[2]) : 900); /* bounded: SIGALRM ends the process */
    long long spin_us = argc > 3 ? atoll(argv[3]) : 0;
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024)) { perror("listen"); return 1; }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("LISTENING %d %d c-epoll spin=%lldus\n", port, (int)getpid(), spin_us);
    fflush(stdout);
    static char buf[BUF];
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = 0;
        if (spin_us > 0) {
            long long until = now_us() + spin_us;
            while ((n = epoll_wait(ep, evs, MAX_EVENTS, 0)) == 0 && now_us() < until) { }
        }
        if (n == 0) n = epoll_wait(ep, evs, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                for (int k = 0; k < 64; k++) {
                    int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            if (c->len) { /* writable: flush what is pending */
                ssize_t s = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
                if (s < 0 && errno != EAGAIN) { drop(c); continue; }
                if (s > 0) c->off += (size_t)s;
                if (c->off == c->len) { c->off = c->len = 0; want(ep, c, EPOLLIN | EPOLLRDHUP); }
                continue;
            }
            ssize_t r = recv(c->fd, buf, BUF, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(c); continue; }
            if (r < 0) continue;
            ssize_t s = send(c->fd, buf, (size_t)r, MSG_NOSIGNAL);
            if (s < 0 && errno != EAGAIN) { drop(c); continue; }
            if (s < 0) s = 0;
            if (s < r) {
                if (!c->pending) c->pending = malloc(BUF);
                memcpy(c->pending, buf + s, (size_t)(r - s));
                c->off = 0; c->len = (size_t)(r - s);
                want(ep, c, EPOLLOUT);
            }
        }
    }
}
