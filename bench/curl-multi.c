/* The peer for bench/latency.sh: COUNT POSTs of a JSON body to URL with IN_FLIGHT transfers
 * at a time on one libcurl multi handle — what a C program that drives libcurl well achieves.
 *
 *   cc -O2 -o curl-multi bench/curl-multi.c -lcurl && ./curl-multi URL COUNT IN_FLIGHT BODY_FILE
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t discard(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static char *body; static long body_len; static const char *url;
static struct curl_slist *headers;

static CURL *start(CURLM *multi, CURL *easy) {
    if (!easy) easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, body_len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_multi_add_handle(multi, easy);
    return easy;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: curl-multi URL COUNT IN_FLIGHT BODY_FILE\n"); return 2; }
    url = argv[1];
    long count = atol(argv[2]), inflight = atol(argv[3]), started = 0, done = 0, failed = 0;
    FILE *f = fopen(argv[4], "rb");
    if (!f) { perror(argv[4]); return 1; }
    fseek(f, 0, SEEK_END); body_len = ftell(f); rewind(f);
    body = malloc(body_len + 1);
    if (fread(body, 1, body_len, f) != (size_t)body_len) return 1;
    fclose(f);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Api-Token: bench-token");
    headers = curl_slist_append(headers, "Expect:");
    CURLM *multi = curl_multi_init();
    double t0 = now();
    for (; started < inflight && started < count; started++) start(multi, NULL);
    int running = 1;
    while (done < count) {
        curl_multi_perform(multi, &running);
        CURLMsg *m; int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *easy = m->easy_handle;
            if (m->data.result != CURLE_OK) failed++;
            curl_multi_remove_handle(multi, easy);
            done++;
            if (started < count) { start(multi, easy); started++; } else curl_easy_cleanup(easy);
        }
        if (done < count) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double s = now() - t0;
    printf("libcurl multi (C), %ld in flight: %ld requests in %.3f s = %.0f requests/s%s\n", inflight, count, s, count / s,
           failed ? " (with failures)" : "");
    if (failed) printf("failures: %ld\n", failed);
    return 0;
}
