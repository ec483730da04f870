/* lazy_lib.c: opening a shared library on first use (see lazy_lib.h). */
#include "util/lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* pthread_once takes no argument: the library being loaded is passed
 * through this thread's variable. */
static _Thread_local sl_lazy_lib *loading;

static void load_once(void)
{
    sl_lazy_lib *l = loading;
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(l->error, sizeof l->error, "cannot load %s (install it, e.g. from the "
                 "Debian package that provides it): %s", l->soname, e ? e : "unknown error");
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        l->fns[i] = dlsym(h, l->names[i]);
        if (!l->fns[i]) {
            snprintf(l->error, sizeof l->error, "%s has no function %s: a version too old "
                     "for sluice", l->soname, l->names[i]);
            return;     /* the handle stays open: harmless, and never retried */
        }
    }
    atomic_store_explicit(&l->ok, true, memory_order_release);
}

bool sl_lazy_lib_load(sl_lazy_lib *l, const char **why)
{
    loading = l;
    pthread_once(&l->once, load_once);
    loading = NULL;
    bool ok = atomic_load_explicit(&l->ok, memory_order_acquire);
    if (!ok && why)
        *why = l->error;
    return ok;
}

void *sl_lazy_lib_fn_slow(sl_lazy_lib *l, size_t i)
{
    if (!sl_lazy_lib_load(l, NULL)) {
        fprintf(stderr, "sluice: internal error: %s\n", l->error);
        abort();
    }
    return l->fns[i];
}
