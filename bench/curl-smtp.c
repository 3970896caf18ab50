/* The C peer for bench/smtp.sh: COUNT messages (the bytes of MESSAGE_FILE) to an SMTP server on
 * 127.0.0.1:PORT over CONNECTIONS connections, each an easy handle on one libcurl multi handle,
 * reusing its connection from message to message — what a C program driving libcurl well does.
 *
 *   cc -O2 -o curl-smtp bench/curl-smtp.c -lcurl && ./curl-smtp PORT COUNT CONNECTIONS MESSAGE_FILE
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *message; static long message_len;
struct upload { long offset; };

static size_t feed(char *buffer, size_t size, size_t count, void *user) {
    struct upload *u = user;
    size_t n = message_len - u->offset < (long)(size * count) ? message_len - u->offset : size * count;
    memcpy(buffer, message + u->offset, n);
    u->offset += n;
    return n;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: curl-smtp PORT COUNT CONNECTIONS MESSAGE_FILE\n"); return 2; }
    long count = atol(argv[2]), connections = atol(argv[3]), started = 0, done = 0, failed = 0;
    FILE *f = fopen(argv[4], "rb");
    if (!f) { perror(argv[4]); return 1; }
    fseek(f, 0, SEEK_END); message_len = ftell(f); rewind(f);
    message = malloc(message_len);
    if (fread(message, 1, message_len, f) != (size_t)message_len) return 1;
    fclose(f);
    char url[128];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%s/bench.carrier.test", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *rcpt = curl_slist_append(NULL, "<alice@example.com>");
    CURLM *multi = curl_multi_init();
    struct upload *uploads = calloc(connections, sizeof *uploads);
    CURL **handles = calloc(connections, sizeof *handles);
    double t0 = now();
    for (long i = 0; i < connections && started < count; i++, started++) {
        CURL *e = handles[i] = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_MAIL_FROM, "<orders@shop.example.com>");
        curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, feed);
        curl_easy_setopt(e, CURLOPT_READDATA, &uploads[i]);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)message_len);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &uploads[i]);
        curl_multi_add_handle(multi, e);
    }
    int running;
    while (done < count) {
        curl_multi_perform(multi, &running);
        CURLMsg *m; int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *e = m->easy_handle;
            if (m->data.result != CURLE_OK) failed++;
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < count) {
                struct upload *u; curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&u);
                u->offset = 0;
                curl_multi_add_handle(multi, e);
                started++;
            }
        }
        if (done < count) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double s = now() - t0;
    printf("libcurl (C), %ld connection(s): %ld messages in %.3f s = %.0f messages/s\n", connections, count, s, count / s);
    if (failed) printf("failures: %ld\n", failed);
    return 0;
}
