/* lazy_lib.h: a shared library opened (dlopen) the first time sluice needs
 * it, rather than mapped at start-up by the dynamic linker.
 *
 * libcurl, librdkafka and OpenSSL pull in some 25 libraries between them
 * (TLS stacks, Kerberos, LDAP, SASL, compressors) whose mapping and
 * relocation cost about 6.5 MiB of resident memory in every sluice,
 * including the ones that never use TLS or send over HTTP or to Kafka. So
 * sluice is not linked against them: src/dest/curl_api.c, kafka_api.c and
 * src/util/openssl_api.c define the functions sluice calls, each
 * forwarding to the real one found here. The plugins that
 * need a library call sl_lazy_lib_load() when they are configured, so a
 * missing library is a configuration error with the reason, not a crash. */
#ifndef SLUICE_UTIL_LAZY_LIB_H
#define SLUICE_UTIL_LAZY_LIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *soname;         /* e.g. "libcurl.so.4" */
    const char *const *names;   /* the functions sluice calls */
    size_t n;
    void **fns;                 /* n slots: the functions, once loaded */
    pthread_once_t once;        /* PTHREAD_ONCE_INIT */
    atomic_bool ok;             /* loaded: fns may be read without the once */
    char error[320];            /* why it could not be loaded */
} sl_lazy_lib;

/* Open the library and look up every function (once; any thread). False
 * with *why set (a sentence naming the library) when it cannot be used. */
bool sl_lazy_lib_load(sl_lazy_lib *l, const char **why);

void *sl_lazy_lib_fn_slow(sl_lazy_lib *l, size_t i);

/* Function i of l, loading l first if need be. Once loaded, one atomic load
 * per call (forwarders sit on per-event paths: Kafka produce). A library
 * that cannot be loaded here is a bug (its plugin should have called
 * sl_lazy_lib_load at configuration): the reason is printed and sluice
 * aborts. */
static inline void *sl_lazy_lib_fn(sl_lazy_lib *l, size_t i)
{
    if (atomic_load_explicit(&l->ok, memory_order_acquire))
        return l->fns[i];
    return sl_lazy_lib_fn_slow(l, i);
}

#endif
