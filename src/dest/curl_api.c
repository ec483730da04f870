/* curl_api.c: the libcurl functions sluice calls (the http and s3
 * destinations, AWS credentials, `sluice status`), each forwarding to
 * libcurl.so.4, which is opened the first time one is needed
 * (src/util/lazy_lib.h says why sluice is not linked against it). The
 * prototypes are libcurl's own: the compiler checks each definition
 * against <curl/curl.h>. */
#include <curl/curl.h>
#include <stdarg.h>

#include "dest/curl_api.h"
#include "util/lazy_lib.h"

enum {
    C_curl_easy_cleanup,
    C_curl_easy_init,
    C_curl_easy_perform,
    C_curl_easy_reset,
    C_curl_easy_strerror,
    C_curl_global_cleanup,
    C_curl_global_init,
    C_curl_slist_append,
    C_curl_slist_free_all,
    C_curl_version_info,
    C_curl_easy_setopt,
    C_curl_easy_getinfo,
    C_COUNT
};

static const char *const curl_names[] = {
    "curl_easy_cleanup",
    "curl_easy_init",
    "curl_easy_perform",
    "curl_easy_reset",
    "curl_easy_strerror",
    "curl_global_cleanup",
    "curl_global_init",
    "curl_slist_append",
    "curl_slist_free_all",
    "curl_version_info",
    "curl_easy_setopt",
    "curl_easy_getinfo",
};

/* The loaded function `name`, as the type of its declaration. */
#define CURL_FN(name) ((__typeof__(&(name)))sl_lazy_lib_fn(&curl_lib, C_##name))

static void *curl_fns[C_COUNT];
static sl_lazy_lib curl_lib = {"libcurl.so.4", curl_names, C_COUNT, curl_fns,
                               PTHREAD_ONCE_INIT, false, ""};

bool sl_curl_lib_load(const char **why)
{
    return sl_lazy_lib_load(&curl_lib, why);
}

void curl_easy_cleanup(CURL *curl)
{
    CURL_FN(curl_easy_cleanup)(curl);
}

CURL *curl_easy_init(void)
{
    return CURL_FN(curl_easy_init)();
}

CURLcode curl_easy_perform(CURL *curl)
{
    return CURL_FN(curl_easy_perform)(curl);
}

void curl_easy_reset(CURL *curl)
{
    CURL_FN(curl_easy_reset)(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
    return CURL_FN(curl_easy_strerror)(code);
}

void curl_global_cleanup(void)
{
    CURL_FN(curl_global_cleanup)();
}

CURLcode curl_global_init(long flags)
{
    return CURL_FN(curl_global_init)(flags);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
    return CURL_FN(curl_slist_append)(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
    CURL_FN(curl_slist_free_all)(list);
}

curl_version_info_data *curl_version_info(CURLversion age)
{
    return CURL_FN(curl_version_info)(age);
}


/* The variadic two pass their one argument on with the type libcurl reads
 * it as, which the option's number range says (as libcurl's own
 * curl_easy_setopt does): long, an object pointer, a function pointer,
 * curl_off_t, or a blob pointer. */
#undef curl_easy_setopt
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    __typeof__(&curl_easy_setopt) f = CURL_FN(curl_easy_setopt);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void *v = va_arg(ap, void *);
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_OFF_T) {
        void (*v)(void) = va_arg(ap, void (*)(void));
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = f(curl, option, v);
    } else {
        void *v = va_arg(ap, void *);
        rc = f(curl, option, v);
    }
    va_end(ap);
    return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
#undef curl_easy_getinfo
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    __typeof__(&curl_easy_getinfo) f = CURL_FN(curl_easy_getinfo);
    va_list ap;
    va_start(ap, info);
    void *where = va_arg(ap, void *);
    va_end(ap);
    return f(curl, info, where);
}
