/* main.c: the sluice command line: run a pipeline config as a daemon, check
 * a config, run once over finite input, or show plugin help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline_config.h"
#include "plugin.h"
#include "privileges.h"
#include "listen_fds.h"
#include "runtime.h"
#include "status_cmd.h"
#include "util/malloc_tuning.h"

#define DEFAULT_CONFIG "/etc/sluice/sluice.yaml"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice [OPTIONS]\n"
            "       sluice status [-c FILE] [--admin HOST:PORT] [--watch SECONDS]\n"
            "Collect events from sources, run them through handlers, ship them to\n"
            "destinations, with at-least-once delivery.\n"
            "\n"
            "  -c, --config FILE       pipeline config (default " DEFAULT_CONFIG ")\n"
            "      --check             validate the config, print every problem, exit\n"
            "      --once              read every source to its end, deliver, exit\n"
            "  -l, --log-level LEVEL   error, warn, info (default) or debug\n"
            "  -v, --verbose           same as --log-level debug\n"
            "      --help-plugin NAME  the options of a plugin (e.g. file, stdout, set,\n"
            "                          service, pipeline; kind/name when ambiguous:\n"
            "                          source/file, destination/file)\n"
            "      --plugins           list every plugin\n"
            "  -V, --version           print the version\n"
            "  -h, --help              this help\n"
            "\n"
            "Exit status: 0 success, 1 usage or configuration error, 2 startup failure,\n"
            "3 --once finished but some events could not be delivered.\n"
            "See sluice(8) and sluice.yaml(5).\n");
}

static void print_plugin(const sl_plugin *p)
{
    printf("%s %s: %s\n\nOptions:\n  type                 string    (required)\n"
           "      \"%s\".\n",
           sl_plugin_kind_name(p->kind), p->name, p->summary, p->name);
    if (p->kind == SL_PLUGIN_HANDLER)
        printf("(a handler is written in a pipeline's handlers list as - %s: {options})\n",
               p->name);
    if (p->options)
        sl_options_print_help(stdout, p->options);
    const sl_option *common = sl_plugin_common_options(p->kind);
    if (common) {
        printf("\nOptions every %s has:\n", sl_plugin_kind_name(p->kind));
        sl_options_print_help(stdout, common);
    }
}

static int help_plugin(const char *arg)
{
    if (strcmp(arg, "service") == 0) {
        printf("service: settings of the daemon itself.\n\nOptions:\n");
        sl_options_print_help(stdout, sl_service_options());
        return 0;
    }
    if (strcmp(arg, "pipeline") == 0) {
        printf("pipeline: takes events from sources, runs handlers, sends to destinations.\n\n"
               "Options:\n");
        sl_options_print_help(stdout, sl_pipeline_options());
        return 0;
    }
    const char *slash = strchr(arg, '/');
    const char *name = slash ? slash + 1 : arg;
    int kind = -1;
    if (slash) {
        size_t n = (size_t)(slash - arg);
        for (int k = SL_PLUGIN_SOURCE; k <= SL_PLUGIN_DEST; k++)
            if (strlen(sl_plugin_kind_name((sl_plugin_kind)k)) == n &&
                strncmp(arg, sl_plugin_kind_name((sl_plugin_kind)k), n) == 0)
                kind = k;
    }
    int found = 0;
    for (const sl_plugin *const *p = sl_plugin_all(); *p; p++) {
        if (strcmp((*p)->name, name) != 0 || (kind >= 0 && (int)(*p)->kind != kind))
            continue;
        if (found++)
            printf("\n");
        print_plugin(*p);
    }
    if (!found) {
        fprintf(stderr, "sluice: no plugin named \"%s\" (see sluice --plugins)\n", arg);
        return SL_EXIT_CONFIG;
    }
    return 0;
}

static void list_plugins(void)
{
    for (int k = SL_PLUGIN_SOURCE; k <= SL_PLUGIN_DEST; k++) {
        printf("%ss:\n", sl_plugin_kind_name((sl_plugin_kind)k));
        for (const sl_plugin *const *p = sl_plugin_all(); *p; p++)
            if ((int)(*p)->kind == k)
                printf("  %-12s %s\n", (*p)->name, (*p)->summary);
    }
}

/* The option reference of sluice.yaml(5), generated from the tables
 * (`make man` puts it into the page; a test checks it is current). */
static void man_options(void)
{
    printf(".SS service\n");
    sl_options_print_man(stdout, sl_service_options());
    printf(".SS pipelines.NAME\n");
    sl_options_print_man(stdout, sl_pipeline_options());
    static const char *const kind_titles[] = {"Sources", "Handlers", "Destinations"};
    for (int k = SL_PLUGIN_SOURCE; k <= SL_PLUGIN_DEST; k++) {
        printf(".SH %s\n", kind_titles[k]);
        const sl_option *common = sl_plugin_common_options((sl_plugin_kind)k);
        if (common) {
            printf(".SS Options of every %s\n", sl_plugin_kind_name((sl_plugin_kind)k));
            sl_options_print_man(stdout, common);
        }
        for (const sl_plugin *const *p = sl_plugin_all(); *p; p++) {
            if ((int)(*p)->kind != k)
                continue;
            printf(".SS %s %s\n%s\n", sl_plugin_kind_name((sl_plugin_kind)k), (*p)->name,
                   (*p)->summary);
            if ((*p)->options)
                sl_options_print_man(stdout, (*p)->options);
            else
                printf(".PP\nNo options of its own.\n");
        }
    }
}

enum { OPT_CHECK = 256, OPT_ONCE, OPT_HELP_PLUGIN, OPT_PLUGINS, OPT_MAN_OPTIONS };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, OPT_CHECK},
        {"once", no_argument, NULL, OPT_ONCE},
        {"log-level", required_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},
        {"help-plugin", required_argument, NULL, OPT_HELP_PLUGIN},
        {"plugins", no_argument, NULL, OPT_PLUGINS},
        {"man-options", no_argument, NULL, OPT_MAN_OPTIONS},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = DEFAULT_CONFIG;
    bool check = false, once = false;
    sl_log_init();
    if (argc > 1 && strcmp(argv[1], "status") == 0)
        return sl_status_main(argc - 1, argv + 1, DEFAULT_CONFIG);
    sl_malloc_tune();
    int c;
    while ((c = getopt_long(argc, argv, "c:l:vVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_ONCE:
            once = true;
            break;
        case 'l': {
            sl_log_level lvl;
            if (!sl_log_parse_level(optarg, &lvl)) {
                fprintf(stderr, "sluice: unknown log level \"%s\" (error, warn, info, debug)\n",
                        optarg);
                return SL_EXIT_CONFIG;
            }
            sl_log_set_level(lvl);
            break;
        }
        case 'v':
            sl_log_set_level(SL_LOG_DEBUG);
            break;
        case OPT_HELP_PLUGIN:
            return help_plugin(optarg);
        case OPT_PLUGINS:
            list_plugins();
            return 0;
        case OPT_MAN_OPTIONS:
            man_options();
            return 0;
        case 'V':
            printf("sluice %s\n", SLUICE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return SL_EXIT_CONFIG;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return SL_EXIT_CONFIG;
    }

    sl_diags diags = {0};
    sl_config *cfg = sl_config_load(config, &diags);
    sl_diags_print(&diags, stderr);
    if (!cfg) {
        fprintf(stderr, "sluice: %s: %zu error%s, %zu warning%s\n", config, diags.errors,
                diags.errors == 1 ? "" : "s", diags.warnings, diags.warnings == 1 ? "" : "s");
        sl_diags_free(&diags);
        return SL_EXIT_CONFIG;
    }
    sl_diags_free(&diags);
    if (check) {
        printf("%s: configuration OK (%zu sources, %zu destinations, %zu pipelines)\n", config,
               cfg->n_sources, cfg->n_dests, cfg->n_pipelines);
        sl_config_free(cfg);
        return 0;
    }
    /* service.user without root: say so before anything binds or opens. */
    if (sl_privileges_preflight(&cfg->service) != 0) {
        sl_config_free(cfg);
        return SL_EXIT_STARTUP;
    }
    sl_listen_fds_init();       /* sockets handed over by a reload */
    sl_runtime *rt = sl_runtime_new(cfg, once);
    int rc = SL_EXIT_STARTUP;
    bool reload = false;
    if (rt) {
        sl_runtime_set_reexec(rt, config, argv);
        rc = sl_runtime_run(rt);
        reload = sl_runtime_reloading(rt);
        sl_runtime_free(rt);
    }
    sl_config_free(cfg);
    if (reload) {
        sl_exec_again(argv);    /* returns only if it failed (logged) */
        return SL_EXIT_STARTUP;
    }
    return rc;
}
