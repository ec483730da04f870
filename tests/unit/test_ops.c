/* test_ops.c: the pieces of operations that need no daemon: admin.listen
 * parsing, NOTIFY_SOCKET addresses (path and abstract), and that notify
 * messages reach a datagram socket. */
#include "check_main.h"
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "sd_notify.h"

START_TEST(listen_parse)
{
    char *host;
    uint16_t port;
    const char *why;
    ck_assert_int_eq(sl_admin_parse_listen("127.0.0.1:2020", &host, &port, &why), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 2020);
    free(host);
    ck_assert_int_eq(sl_admin_parse_listen("[::1]:9", &host, &port, &why), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 9);
    free(host);
    ck_assert_int_eq(sl_admin_parse_listen("localhost:65535", &host, &port, &why), 0);
    free(host);
    static const char *const bad[] = {"localhost", ":80", "h:", "h:0", "h:65536", "h:8x",
                                      "::1:80", "[::1:80", "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(sl_admin_parse_listen(bad[i], &host, &port, &why) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(notify_addresses)
{
    struct sockaddr_un sa;
    unsigned len;
    ck_assert_int_eq(sl_notify_addr("/run/x.sock", &sa, &len), 0);
    ck_assert_str_eq(sa.sun_path, "/run/x.sock");
    ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 12);
    ck_assert_int_eq(sl_notify_addr("@abc", &sa, &len), 0);
    ck_assert_int_eq(sa.sun_path[0], 0);
    ck_assert_int_eq(memcmp(sa.sun_path + 1, "abc", 3), 0);
    ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 4);
    ck_assert_int_eq(sl_notify_addr("relative", &sa, &len), -1);
    ck_assert_int_eq(sl_notify_addr("@", &sa, &len), -1);
    ck_assert_int_eq(sl_notify_addr(NULL, &sa, &len), -1);
}
END_TEST

START_TEST(notify_sends)
{
    char name[64];
    snprintf(name, sizeof name, "@sluice-unit-%ld", (long)getpid());
    struct sockaddr_un sa;
    unsigned len;
    ck_assert_int_eq(sl_notify_addr(name, &sa, &len), 0);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, len), 0);

    unsetenv("NOTIFY_SOCKET");
    sl_notify_close();
    ck_assert_int_eq(sl_notify("READY=1"), -1);     /* no-op without the variable */
    setenv("NOTIFY_SOCKET", name, 1);
    sl_notify_close();
    ck_assert(sl_notify_init());
    ck_assert_int_eq(sl_notifyf("STATUS=%d events", 42), 0);
    char buf[128];
    ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
    ck_assert_int_eq(r, 16);
    buf[r] = 0;
    ck_assert_str_eq(buf, "STATUS=42 events");

    setenv("WATCHDOG_USEC", "200000", 1);
    unsetenv("WATCHDOG_PID");
    ck_assert_uint_eq(sl_notify_watchdog_usec(), 200000);
    setenv("WATCHDOG_PID", "1", 1);                 /* meant for another process */
    ck_assert_uint_eq(sl_notify_watchdog_usec(), 0);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    ck_assert_uint_eq(sl_notify_watchdog_usec(), 200000);
    unsetenv("WATCHDOG_USEC");
    ck_assert_uint_eq(sl_notify_watchdog_usec(), 0);
    sl_notify_close();
    unsetenv("NOTIFY_SOCKET");
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, listen_parse);
    tcase_add_test(tc, notify_addresses);
    tcase_add_test(tc, notify_sends);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
