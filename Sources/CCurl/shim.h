#ifndef CARRIER_CCURL_SHIM_H
#define CARRIER_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* libcurl is opened on first use (dlopen of libcurl.so.4), not linked: it pulls some forty
   libraries (TLS, LDAP, Kerberos, SSH…) whose loading and initialisers cost about 4 ms, which
   `carrier render`, `carrier providers` and every command that sends nothing should not pay.
   Swift calls only these carrier_curl_* functions; curl.h gives the types and constants.

   curl_easy_setopt, curl_easy_getinfo, curl_multi_setopt and curl_share_setopt are variadic,
   which Swift cannot call, so they get typed wrappers too. */

struct carrier_curl_api {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wakeup)(CURLM *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_cleanup)(CURLSH *);
    CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

/* Function-local statics: Swift emits these inline functions into its objects, not header globals.
   (A copy per object file may exist; each loads the same library once.) */
static inline struct carrier_curl_api *carrier_curl_table(void) {
    static struct carrier_curl_api table;
    return &table;
}

static inline void carrier_curl_load(void) {
    struct carrier_curl_api *table = carrier_curl_table();
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        fprintf(stderr, "carrier: cannot load libcurl (%s); install it with: apt-get install libcurl4\n", dlerror());
        exit(70);
    }
#define CARRIER_CURL_BIND(field, name) \
    if (!(*(void **)&table->field = dlsym(lib, name))) { \
        fprintf(stderr, "carrier: libcurl has no %s; Carrier needs libcurl 7.68 or newer\n", name); exit(70); }
    CARRIER_CURL_BIND(global_init, "curl_global_init")
    CARRIER_CURL_BIND(easy_init, "curl_easy_init")
    CARRIER_CURL_BIND(easy_cleanup, "curl_easy_cleanup")
    CARRIER_CURL_BIND(easy_reset, "curl_easy_reset")
    CARRIER_CURL_BIND(easy_strerror, "curl_easy_strerror")
    CARRIER_CURL_BIND(easy_setopt, "curl_easy_setopt")
    CARRIER_CURL_BIND(easy_getinfo, "curl_easy_getinfo")
    CARRIER_CURL_BIND(multi_init, "curl_multi_init")
    CARRIER_CURL_BIND(multi_cleanup, "curl_multi_cleanup")
    CARRIER_CURL_BIND(multi_add_handle, "curl_multi_add_handle")
    CARRIER_CURL_BIND(multi_remove_handle, "curl_multi_remove_handle")
    CARRIER_CURL_BIND(multi_perform, "curl_multi_perform")
    CARRIER_CURL_BIND(multi_poll, "curl_multi_poll")
    CARRIER_CURL_BIND(multi_wakeup, "curl_multi_wakeup")
    CARRIER_CURL_BIND(multi_info_read, "curl_multi_info_read")
    CARRIER_CURL_BIND(multi_setopt, "curl_multi_setopt")
    CARRIER_CURL_BIND(share_init, "curl_share_init")
    CARRIER_CURL_BIND(share_cleanup, "curl_share_cleanup")
    CARRIER_CURL_BIND(share_setopt, "curl_share_setopt")
    CARRIER_CURL_BIND(slist_append, "curl_slist_append")
    CARRIER_CURL_BIND(slist_free_all, "curl_slist_free_all")
#undef CARRIER_CURL_BIND
}

static inline const struct carrier_curl_api *carrier_curl(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, carrier_curl_load);
    return carrier_curl_table();
}

static inline CURLcode carrier_curl_global_init(long flags) { return carrier_curl()->global_init(flags); }
static inline CURL *carrier_curl_easy_init(void) { return carrier_curl()->easy_init(); }
static inline void carrier_curl_easy_cleanup(CURL *h) { carrier_curl()->easy_cleanup(h); }
static inline void carrier_curl_easy_reset(CURL *h) { carrier_curl()->easy_reset(h); }
static inline const char *carrier_curl_easy_strerror(CURLcode c) { return carrier_curl()->easy_strerror(c); }
static inline CURLM *carrier_curl_multi_init(void) { return carrier_curl()->multi_init(); }
static inline CURLMcode carrier_curl_multi_add_handle(CURLM *m, CURL *h) { return carrier_curl()->multi_add_handle(m, h); }
static inline CURLMcode carrier_curl_multi_remove_handle(CURLM *m, CURL *h) { return carrier_curl()->multi_remove_handle(m, h); }
static inline CURLMcode carrier_curl_multi_perform(CURLM *m, int *running) { return carrier_curl()->multi_perform(m, running); }
static inline CURLMcode carrier_curl_multi_poll(CURLM *m, int timeout_ms) { return carrier_curl()->multi_poll(m, NULL, 0, timeout_ms, NULL); }
static inline CURLMcode carrier_curl_multi_wakeup(CURLM *m) { return carrier_curl()->multi_wakeup(m); }
static inline CURLMsg *carrier_curl_multi_info_read(CURLM *m, int *queued) { return carrier_curl()->multi_info_read(m, queued); }
static inline CURLMcode carrier_curl_multi_cleanup(CURLM *m) { return carrier_curl()->multi_cleanup(m); }
static inline CURLSH *carrier_curl_share_init(void) { return carrier_curl()->share_init(); }
static inline CURLSHcode carrier_curl_share_cleanup(CURLSH *s) { return carrier_curl()->share_cleanup(s); }
static inline struct curl_slist *carrier_curl_slist_append(struct curl_slist *l, const char *s) { return carrier_curl()->slist_append(l, s); }
static inline void carrier_curl_slist_free_all(struct curl_slist *l) { carrier_curl()->slist_free_all(l); }

static inline CURLcode carrier_curl_setopt_long(CURL *h, CURLoption o, long v) { return carrier_curl()->easy_setopt(h, o, v); }
static inline CURLcode carrier_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return carrier_curl()->easy_setopt(h, o, v); }
static inline CURLcode carrier_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return carrier_curl()->easy_setopt(h, o, v); }
static inline CURLcode carrier_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return carrier_curl()->easy_setopt(h, o, v); }
static inline CURLcode carrier_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return carrier_curl()->easy_setopt(h, o, v); }
static inline CURLcode carrier_curl_setopt_write_function(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return carrier_curl()->easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode carrier_curl_setopt_header_function(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return carrier_curl()->easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode carrier_curl_setopt_read_function(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return carrier_curl()->easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode carrier_curl_setopt_debug_function(CURL *h, int (*f)(CURL *, curl_infotype, char *, size_t, void *)) { return carrier_curl()->easy_setopt(h, CURLOPT_DEBUGFUNCTION, f); }
static inline CURLcode carrier_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return carrier_curl()->easy_getinfo(h, i, v); }
static inline CURLcode carrier_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return carrier_curl()->easy_getinfo(h, i, v); }
static inline CURLcode carrier_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return carrier_curl()->easy_getinfo(h, i, v); }
static inline CURLcode carrier_curl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { return carrier_curl()->easy_getinfo(h, i, v); }
static inline CURLcode carrier_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return carrier_curl()->easy_getinfo(h, i, v); }
static inline CURLMcode carrier_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return carrier_curl()->multi_setopt(m, o, v); }
static inline CURLSHcode carrier_curl_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return carrier_curl()->share_setopt(s, o, v); }
/* The share handle (DNS cache, TLS sessions) is touched from more than one thread: lock it. */
static inline void carrier_curl_share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user) {
    (void)h; (void)access;
    pthread_mutex_lock(&((pthread_mutex_t *)user)[data]);
}
static inline void carrier_curl_share_unlock(CURL *h, curl_lock_data data, void *user) {
    (void)h;
    pthread_mutex_unlock(&((pthread_mutex_t *)user)[data]);
}
static inline void carrier_curl_share_set_locking(CURLSH *s) {
    pthread_mutex_t *locks = calloc(CURL_LOCK_DATA_LAST, sizeof(pthread_mutex_t));
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&locks[i], NULL);
    carrier_curl()->share_setopt(s, CURLSHOPT_LOCKFUNC, carrier_curl_share_lock);
    carrier_curl()->share_setopt(s, CURLSHOPT_UNLOCKFUNC, carrier_curl_share_unlock);
    carrier_curl()->share_setopt(s, CURLSHOPT_USERDATA, locks);
}
/* The calling thread's id as the kernel knows it (Linux: /proc/self/task/ID), or 0 elsewhere. */
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
static inline int carrier_thread_id(void) { return (int)syscall(SYS_gettid); }
#else
static inline int carrier_thread_id(void) { return 0; }
#endif
/* CURLMsg carries its result in a union; this reads it without Swift touching the union. */
static inline CURLcode carrier_curl_msg_result(CURLMsg *m) { return m->data.result; }
#endif
