/* An HTTP/1.1 sink for the benchmarks: answers every request after a fixed delay with a small
 * JSON body that reads as a Mailtrap success. One thread, epoll, keep-alive; thousands of
 * connections. Since every answer waits the same time, due answers form a FIFO queue.
 *
 *   cc -O2 -o sink bench/sink.c && ./sink PORT DELAY_MS [batch]     (prints READY when listening)
 * SIGUSR1 prints `REQUESTS n`: the requests taken so far (bench/store.sh counts duplicates with it).
 * With `batch`, every answer is instead a JSON list of 1000 Postmark-style results (ErrorCode 0),
 * enough for any batch of up to 1000 messages.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
static const char single[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 58\r\n\r\n"
    "{\"success\":true,\"message_ids\":[\"0c7fd939-02cf-11ed-88c2\"]}";
static char *answer = (char *)single;
static size_t answer_len = sizeof single - 1;

static void make_batch_answer(void) {
    static const char item[] = "{\"ErrorCode\":0,\"Message\":\"OK\",\"MessageID\":\"b7bc2f4a-e38e-4336-af7d-e6c392c2f817\"}";
    size_t body_len = 2 + 1000 * (sizeof item - 1) + 999;
    char *body = malloc(body_len + 1), *p = body;
    *p++ = '[';
    for (int i = 0; i < 1000; i++) { if (i) *p++ = ','; memcpy(p, item, sizeof item - 1); p += sizeof item - 1; }
    *p++ = ']';
    answer = malloc(body_len + 128);
    answer_len = sprintf(answer, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body_len);
    memcpy(answer + answer_len, body, body_len);
    answer_len += body_len;
    free(body);
}

struct conn { char *buf; size_t len, cap; };
static struct conn conns[MAXFD];
struct due { int fd; double at; };
static struct due *queue; static size_t qhead, qtail, qcap;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void push(int fd, double at) {
    if (qtail == qcap) {
        size_t live = qtail - qhead;
        if (qhead > 0) { memmove(queue, queue + qhead, live * sizeof *queue); qhead = 0; qtail = live; }
        if (qtail == qcap) { qcap = qcap ? qcap * 2 : 4096; queue = realloc(queue, qcap * sizeof *queue); }
    }
    queue[qtail++] = (struct due){fd, at};
}

/* Complete requests at the start of the buffer: headers, then Content-Length bytes. */
static int take_request(struct conn *c) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = end - c->buf + 4, body = 0;
    char *cl = memmem(c->buf, head, "Content-Length:", 15);
    if (!cl) cl = memmem(c->buf, head, "content-length:", 15);
    if (cl) body = strtoul(cl + 15, NULL, 10);
    if (c->len < head + body) return 0;
    memmove(c->buf, c->buf + head + body, c->len - head - body);
    c->len -= head + body;
    return 1;
}

static volatile sig_atomic_t report = 0;
static void on_usr1(int signal) { (void)signal; report = 1; }

int main(int argc, char **argv) {
    long requests = 0;
    signal(SIGUSR1, on_usr1);
    if (argc < 3) { fprintf(stderr, "usage: sink PORT DELAY_MS [batch]\n"); return 2; }
    if (argc > 3 && strcmp(argv[3], "batch") == 0) make_batch_answer();
    double delay = atof(argv[2]) / 1000.0;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("sink"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, events[1024];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("READY %s\n", argv[1]); fflush(stdout);
    for (;;) {
        int timeout = -1;
        if (qhead < qtail) { double wait = queue[qhead].at - now(); timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1; }
        int n = epoll_wait(ep, events, 1024, timeout);
        if (report) { printf("REQUESTS %ld\n", requests); fflush(stdout); report = 0; }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXFD) { close(c); continue; }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                    conns[c].len = 0;
                }
                continue;
            }
            struct conn *c = &conns[fd];
            for (;;) {
                if (c->cap - c->len < 65536) { c->cap = c->cap ? c->cap * 2 : 131072; c->buf = realloc(c->buf, c->cap); }
                ssize_t r = read(fd, c->buf + c->len, c->cap - c->len);
                if (r > 0) { c->len += r; continue; }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) { epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); close(fd); c->len = 0; }
                break;
            }
            while (take_request(c)) { push(fd, now() + delay); requests++; }
        }
        double t = now();
        while (qhead < qtail && queue[qhead].at <= t) {
            ssize_t w = write(queue[qhead].fd, answer, answer_len);
            (void)w;  /* a closed connection just loses its answer */
            qhead++;
        }
    }
}
