/* openssl_api.c: the OpenSSL functions sluice calls (TLS on the syslog,
 * socket and http sources; SigV4's SHA-256 and HMAC for s3) and libevent's
 * bufferevent_openssl_socket_new, each forwarding to libssl.so.3 (which
 * brings libcrypto.so.3) or libevent_openssl, opened the first time one is
 * needed (src/util/lazy_lib.h says why sluice is not linked against them).
 * The prototypes are the libraries' own: the compiler checks each
 * definition against their headers. */
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/lazy_lib.h"
#include "util/openssl_api.h"

enum {
    S_SSL_CTX_check_private_key,
    S_SSL_CTX_ctrl,
    S_SSL_CTX_free,
    S_SSL_CTX_get_info_callback,
    S_SSL_CTX_load_verify_locations,
    S_SSL_CTX_new,
    S_SSL_CTX_set_client_CA_list,
    S_SSL_CTX_set_default_passwd_cb,
    S_SSL_CTX_set_info_callback,
    S_SSL_CTX_set_num_tickets,
    S_SSL_CTX_set_options,
    S_SSL_CTX_set_verify,
    S_SSL_CTX_use_PrivateKey_file,
    S_SSL_CTX_use_certificate_chain_file,
    S_SSL_accept,
    S_SSL_free,
    S_SSL_get_error,
    S_SSL_get_ex_data,
    S_SSL_get_fd,
    S_SSL_has_pending,
    S_SSL_load_client_CA_file,
    S_SSL_new,
    S_SSL_pending,
    S_SSL_read,
    S_SSL_set_accept_state,
    S_SSL_set_ex_data,
    S_SSL_set_fd,
    S_SSL_shutdown,
    S_TLS_server_method,
    S_CRYPTO_get_ex_new_index,
    S_ERR_clear_error,
    S_ERR_error_string_n,
    S_ERR_get_error_all,
    S_ERR_peek_last_error,
    S_ERR_reason_error_string,
    S_EVP_Digest,
    S_EVP_sha256,
    S_HMAC,
    S_OPENSSL_cleanse,
    S_OPENSSL_sk_pop_free,
    S_X509_NAME_free,
    S_COUNT
};

static const char *const ssl_names[] = {
    "SSL_CTX_check_private_key",
    "SSL_CTX_ctrl",
    "SSL_CTX_free",
    "SSL_CTX_get_info_callback",
    "SSL_CTX_load_verify_locations",
    "SSL_CTX_new",
    "SSL_CTX_set_client_CA_list",
    "SSL_CTX_set_default_passwd_cb",
    "SSL_CTX_set_info_callback",
    "SSL_CTX_set_num_tickets",
    "SSL_CTX_set_options",
    "SSL_CTX_set_verify",
    "SSL_CTX_use_PrivateKey_file",
    "SSL_CTX_use_certificate_chain_file",
    "SSL_accept",
    "SSL_free",
    "SSL_get_error",
    "SSL_get_ex_data",
    "SSL_get_fd",
    "SSL_has_pending",
    "SSL_load_client_CA_file",
    "SSL_new",
    "SSL_pending",
    "SSL_read",
    "SSL_set_accept_state",
    "SSL_set_ex_data",
    "SSL_set_fd",
    "SSL_shutdown",
    "TLS_server_method",
    "CRYPTO_get_ex_new_index",
    "ERR_clear_error",
    "ERR_error_string_n",
    "ERR_get_error_all",
    "ERR_peek_last_error",
    "ERR_reason_error_string",
    "EVP_Digest",
    "EVP_sha256",
    "HMAC",
    "OPENSSL_cleanse",
    "OPENSSL_sk_pop_free",
    "X509_NAME_free",
};

enum { E_bufferevent_openssl_socket_new, E_COUNT };
static const char *const evssl_names[] = {"bufferevent_openssl_socket_new"};

/* The loaded function `name`, as the type of its declaration. */
#define SSL_FN(name) ((__typeof__(&(name)))sl_lazy_lib_fn(&ssl_lib, S_##name))
#define EVSSL_FN(name) ((__typeof__(&(name)))sl_lazy_lib_fn(&evssl_lib, E_##name))

static void *ssl_fns[S_COUNT], *evssl_fns[E_COUNT];
static sl_lazy_lib ssl_lib = {"libssl.so.3", ssl_names, S_COUNT, ssl_fns, PTHREAD_ONCE_INIT,
                              false, ""};
static sl_lazy_lib evssl_lib = {"libevent_openssl-2.1.so.7", evssl_names, E_COUNT, evssl_fns,
                                PTHREAD_ONCE_INIT, false, ""};

bool sl_openssl_load(const char **why)
{
    return sl_lazy_lib_load(&ssl_lib, why);
}

bool sl_openssl_tls_load(const char **why)
{
    return sl_lazy_lib_load(&ssl_lib, why) && sl_lazy_lib_load(&evssl_lib, why);
}

/* returns a function pointer: written out by hand */
void (*SSL_CTX_get_info_callback(SSL_CTX *ctx))(const SSL *ssl, int type, int val)
{
    return SSL_FN(SSL_CTX_get_info_callback)(ctx);
}

int SSL_CTX_check_private_key(const SSL_CTX *ctx)
{
    return SSL_FN(SSL_CTX_check_private_key)(ctx);
}

long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    return SSL_FN(SSL_CTX_ctrl)(ctx, cmd, larg, parg);
}

void SSL_CTX_free(SSL_CTX *ctx)
{
    SSL_FN(SSL_CTX_free)(ctx);
}

int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *CAfile, const char *CApath)
{
    return SSL_FN(SSL_CTX_load_verify_locations)(ctx, CAfile, CApath);
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
    return SSL_FN(SSL_CTX_new)(meth);
}

void SSL_CTX_set_client_CA_list(SSL_CTX *ctx, struct stack_st_X509_NAME *name_list)
{
    SSL_FN(SSL_CTX_set_client_CA_list)(ctx, name_list);
}

void SSL_CTX_set_default_passwd_cb(SSL_CTX *ctx, pem_password_cb *cb)
{
    SSL_FN(SSL_CTX_set_default_passwd_cb)(ctx, cb);
}

void SSL_CTX_set_info_callback(SSL_CTX *ctx, void (*cb)(const SSL *ssl, int type, int val))
{
    SSL_FN(SSL_CTX_set_info_callback)(ctx, cb);
}

int SSL_CTX_set_num_tickets(SSL_CTX *ctx, size_t num_tickets)
{
    return SSL_FN(SSL_CTX_set_num_tickets)(ctx, num_tickets);
}

uint64_t SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op)
{
    return SSL_FN(SSL_CTX_set_options)(ctx, op);
}

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb callback)
{
    SSL_FN(SSL_CTX_set_verify)(ctx, mode, callback);
}

int SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type)
{
    return SSL_FN(SSL_CTX_use_PrivateKey_file)(ctx, file, type);
}

int SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *file)
{
    return SSL_FN(SSL_CTX_use_certificate_chain_file)(ctx, file);
}

int SSL_accept(SSL *ssl)
{
    return SSL_FN(SSL_accept)(ssl);
}

void SSL_free(SSL *ssl)
{
    SSL_FN(SSL_free)(ssl);
}

int SSL_get_error(const SSL *s, int ret_code)
{
    return SSL_FN(SSL_get_error)(s, ret_code);
}

void *SSL_get_ex_data(const SSL *ssl, int idx)
{
    return SSL_FN(SSL_get_ex_data)(ssl, idx);
}

int SSL_get_fd(const SSL *s)
{
    return SSL_FN(SSL_get_fd)(s);
}

int SSL_has_pending(const SSL *s)
{
    return SSL_FN(SSL_has_pending)(s);
}

struct stack_st_X509_NAME *SSL_load_client_CA_file(const char *file)
{
    return SSL_FN(SSL_load_client_CA_file)(file);
}

SSL *SSL_new(SSL_CTX *ctx)
{
    return SSL_FN(SSL_new)(ctx);
}

int SSL_pending(const SSL *s)
{
    return SSL_FN(SSL_pending)(s);
}

int SSL_read(SSL *ssl, void *buf, int num)
{
    return SSL_FN(SSL_read)(ssl, buf, num);
}

void SSL_set_accept_state(SSL *s)
{
    SSL_FN(SSL_set_accept_state)(s);
}

int SSL_set_ex_data(SSL *ssl, int idx, void *data)
{
    return SSL_FN(SSL_set_ex_data)(ssl, idx, data);
}

int SSL_set_fd(SSL *s, int fd)
{
    return SSL_FN(SSL_set_fd)(s, fd);
}

int SSL_shutdown(SSL *s)
{
    return SSL_FN(SSL_shutdown)(s);
}

const SSL_METHOD *TLS_server_method(void)
{
    return SSL_FN(TLS_server_method)();
}

int CRYPTO_get_ex_new_index(int class_index, long argl, void *argp, CRYPTO_EX_new *new_func,
                            CRYPTO_EX_dup *dup_func, CRYPTO_EX_free *free_func)
{
    return SSL_FN(CRYPTO_get_ex_new_index)(class_index, argl, argp, new_func, dup_func, free_func);
}

void ERR_clear_error(void)
{
    SSL_FN(ERR_clear_error)();
}

void ERR_error_string_n(unsigned long e, char *buf, size_t len)
{
    SSL_FN(ERR_error_string_n)(e, buf, len);
}

unsigned long ERR_get_error_all(const char **file, int *line, const char **func, const char **data,
                                int *flags)
{
    return SSL_FN(ERR_get_error_all)(file, line, func, data, flags);
}

unsigned long ERR_peek_last_error(void)
{
    return SSL_FN(ERR_peek_last_error)();
}

const char *ERR_reason_error_string(unsigned long e)
{
    return SSL_FN(ERR_reason_error_string)(e);
}

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
               const EVP_MD *type, ENGINE *impl)
{
    return SSL_FN(EVP_Digest)(data, count, md, size, type, impl);
}

const EVP_MD *EVP_sha256(void)
{
    return SSL_FN(EVP_sha256)();
}

unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,
                    size_t data_len, unsigned char *md, unsigned int *md_len)
{
    return SSL_FN(HMAC)(evp_md, key, key_len, data, data_len, md, md_len);
}

void OPENSSL_cleanse(void *ptr, size_t len)
{
    SSL_FN(OPENSSL_cleanse)(ptr, len);
}

void OPENSSL_sk_pop_free(OPENSSL_STACK *st, void (*func)(void *))
{
    SSL_FN(OPENSSL_sk_pop_free)(st, func);
}

void X509_NAME_free(X509_NAME *a)
{
    SSL_FN(X509_NAME_free)(a);
}

struct bufferevent *bufferevent_openssl_socket_new(struct event_base *base, int fd,
                                                   struct ssl_st *ssl,
                                                   enum bufferevent_ssl_state state, int options)
{
    return EVSSL_FN(bufferevent_openssl_socket_new)(base, fd, ssl, state, options);
}
