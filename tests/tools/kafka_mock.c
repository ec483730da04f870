/* kafka_mock: a Kafka cluster for the integration tests, librdkafka's mock
 * cluster (a real implementation of the Kafka protocol inside librdkafka)
 * with N brokers on 127.0.0.1.
 *
 *   kafka_mock [--brokers N] [--bootstrap-file FILE] [--topic NAME:PARTITIONS]...
 *              [--control FIFO]
 *
 * Prints its bootstrap servers ("127.0.0.1:PORT,...") on stdout and to
 * --bootstrap-file (written atomically once the cluster is up), creates
 * the --topic topics, and stays up until SIGTERM or SIGINT. Commands, one a
 * line, are read from the --control FIFO (created if missing); each is
 * answered on stderr:
 *
 *   produce_errors N CODE     the next N Produce requests fail with CODE
 *                             (a Kafka error code: 6 NOT_LEADER, 7
 *                             REQUEST_TIMED_OUT, 29 TOPIC_AUTHORIZATION...)
 *   request_errors API N CODE the same for any request type (API key)
 *   down ID / up ID           broker ID (1..N) disconnects and refuses
 *                             connections / accepts them again
 *   topic NAME PARTITIONS     create a topic
 *   topic_error NAME CODE     metadata requests for topic NAME fail with
 *                             CODE (3: UNKNOWN_TOPIC_OR_PARTITION)
 */
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A whole decimal number (commands and options come from the tests), or
 * exit 2. */
static int num_arg(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < -2147483647L || v > 2147483647L) {
        fprintf(stderr, "kafka_mock: bad number \"%s\"\n", s);
        exit(2);
    }
    return (int)v;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void command(rd_kafka_mock_cluster_t *mc, char *line)
{
    char *argv[8];
    int argc = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && argc < 8;
         t = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = t;
    if (argc == 0)
        return;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (strcmp(argv[0], "produce_errors") == 0 && argc == 3) {
        int n = num_arg(argv[1]);
        rd_kafka_resp_err_t code = (rd_kafka_resp_err_t)num_arg(argv[2]);
        for (int i = 0; i < n; i++)
            rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1, code);
    } else if (strcmp(argv[0], "request_errors") == 0 && argc == 4) {
        int n = num_arg(argv[2]);
        rd_kafka_resp_err_t code = (rd_kafka_resp_err_t)num_arg(argv[3]);
        for (int i = 0; i < n; i++)
            rd_kafka_mock_push_request_errors(mc, (int16_t)num_arg(argv[1]), 1, code);
    } else if (strcmp(argv[0], "down") == 0 && argc == 2) {
        err = rd_kafka_mock_broker_set_down(mc, num_arg(argv[1]));
    } else if (strcmp(argv[0], "up") == 0 && argc == 2) {
        err = rd_kafka_mock_broker_set_up(mc, num_arg(argv[1]));
    } else if (strcmp(argv[0], "topic_error") == 0 && argc == 3) {
        rd_kafka_mock_topic_set_error(mc, argv[1], (rd_kafka_resp_err_t)num_arg(argv[2]));
    } else if (strcmp(argv[0], "topic") == 0 && argc == 3) {
        err = rd_kafka_mock_topic_create(mc, argv[1], num_arg(argv[2]), 3);
    } else {
        fprintf(stderr, "kafka_mock: unknown command: %s\n", argv[0]);
        return;
    }
    fprintf(stderr, "kafka_mock: %s: %s\n", argv[0], rd_kafka_err2str(err));
}

int main(int argc, char **argv)
{
    int brokers = 3;
    const char *bootstrap_file = NULL, *control = NULL;
    char *topics[64];
    int n_topics = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc)
            brokers = num_arg(argv[++i]);
        else if (strcmp(argv[i], "--bootstrap-file") == 0 && i + 1 < argc)
            bootstrap_file = argv[++i];
        else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc && n_topics < 64)
            topics[n_topics++] = argv[++i];
        else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc)
            control = argv[++i];
        else {
            fprintf(stderr, "usage: kafka_mock [--brokers N] [--bootstrap-file FILE] "
                            "[--topic NAME:PARTITIONS]... [--control FIFO]\n");
            return 2;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "kafka_mock: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
        return 1;
    }
    for (int i = 0; i < n_topics; i++) {
        char *colon = strrchr(topics[i], ':');
        int parts = 1;
        if (colon) {
            *colon = 0;
            parts = num_arg(colon + 1);
        }
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, topics[i], parts, brokers);
        if (err) {
            fprintf(stderr, "kafka_mock: topic %s: %s\n", topics[i], rd_kafka_err2str(err));
            return 1;
        }
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    printf("%s\n", bs);
    fflush(stdout);
    if (bootstrap_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", bootstrap_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s\n", bs) < 0 || fclose(f) != 0 || rename(tmp, bootstrap_file)) {
            fprintf(stderr, "kafka_mock: cannot write %s: %s\n", bootstrap_file,
                    strerror(errno));
            return 1;
        }
    }
    int fd = -1;
    if (control) {
        if (mkfifo(control, 0600) != 0 && errno != EEXIST) {
            fprintf(stderr, "kafka_mock: mkfifo %s: %s\n", control, strerror(errno));
            return 1;
        }
        fd = open(control, O_RDWR | O_NONBLOCK);    /* RDWR: no EOF between writers */
        if (fd < 0) {
            fprintf(stderr, "kafka_mock: open %s: %s\n", control, strerror(errno));
            return 1;
        }
    }
    char buf[4096];
    size_t have = 0;
    while (!stop) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, fd >= 0 ? 1 : 0, 200) <= 0 || !(p.revents & POLLIN))
            continue;
        ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0)
            continue;
        have += (size_t)r;
        buf[have] = 0;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            *nl = 0;
            command(mc, buf);
            size_t used = (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have - used);
            have -= used;
            buf[have] = 0;
        }
        if (have == sizeof buf - 1)
            have = 0;
    }
    if (fd >= 0)
        close(fd);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
