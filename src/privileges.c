/* privileges.c: running as service.user / service.group. sluice starts as
 * root when it must bind a privileged port (syslog on 514) or read
 * root-only logs; once every source, destination and the admin endpoint
 * has opened what it needs, it gives its state directories to the target
 * user and switches to it for good (see privileges.h). */
#include "privileges.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define PRIV "privileges"

/* Deeper trees under a state directory are not walked (sluice makes two
 * levels; this is a guard against loops, not a limit anyone meets). */
#define MAX_TREE_DEPTH 16

/* ---- who to become -------------------------------------------------------- */

typedef struct {
    uid_t uid;
    gid_t gid;
    bool group_given;       /* service.group: only that group */
    bool has_name;          /* the uid has a user database entry */
    char name[256];         /* ... its name, for initgroups */
    char group_name[256];   /* "" when the gid has no group entry */
} target;

enum { WHY_USER = 1, WHY_GROUP };

/* A decimal id ("65534"); false for anything else or an overflow. */
static bool parse_id(const char *s, unsigned long *out)
{
    if (!*s || strlen(s) > 10)
        return false;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v >= 0xFFFFFFFFul)      /* (uid_t)-1 means "unchanged" to the kernel */
        return false;
    *out = v;
    return true;
}

/* One user or group database lookup, by name when name is set, else by
 * id: the entry into `entry`, its strings into buf[cap]. 0 when found,
 * ENOENT when there is no such entry, else the lookup's error (ERANGE:
 * buf is too small). */
typedef int (*db_lookup_fn)(const char *name, id_t id, void *entry, char *buf, size_t cap);

static int passwd_lookup(const char *name, id_t id, void *entry, char *buf, size_t cap)
{
    struct passwd *res = NULL;
    int e = name ? getpwnam_r(name, entry, buf, cap, &res)
                 : getpwuid_r((uid_t)id, entry, buf, cap, &res);
    return e == 0 && res == NULL ? ENOENT : e;
}

static int group_lookup(const char *name, id_t id, void *entry, char *buf, size_t cap)
{
    struct group *res = NULL;
    int e = name ? getgrnam_r(name, entry, buf, cap, &res)
                 : getgrgid_r((gid_t)id, entry, buf, cap, &res);
    return e == 0 && res == NULL ? ENOENT : e;
}

/* Runs `lookup` with a buffer that grows (up to 1 MiB) while it is too
 * small; true when found. */
static bool lookup_growing(db_lookup_fn lookup, const char *name, id_t id, void *entry,
                           char **buf)
{
    size_t cap = 4096;
    for (;;) {
        *buf = sl_realloc(*buf, cap);
        int e = lookup(name, id, entry, *buf, cap);
        if (e == ERANGE && cap < (1u << 20)) {
            cap *= 2;
            continue;
        }
        return e == 0;
    }
}

/* getpwnam_r / getpwuid_r, getgrnam_r / getgrgid_r with a buffer that
 * grows; true when found. */
static bool lookup_user(const char *name, uid_t uid, struct passwd *pw, char **buf)
{
    return lookup_growing(passwd_lookup, name, uid, pw, buf);
}

static bool lookup_group(const char *name, gid_t gid, struct group *gr, char **buf)
{
    return lookup_growing(group_lookup, name, gid, gr, buf);
}

/* Resolve service.user / service.group into ids. -1 with the reason in
 * `why` and which option it is about in *which. */
static int resolve(const char *user, const char *group, target *t, char *why, size_t cap,
                   int *which)
{
    memset(t, 0, sizeof *t);
    char *buf = NULL;
    int rc = 0;
    struct passwd pw;
    struct group gr;
    unsigned long id;
    *which = WHY_USER;
    if (!*user) {
        snprintf(why, cap, "must name a user (or be a numeric uid), not be empty");
        rc = -1;
        goto out;
    }
    bool have_pw = false;
    if (lookup_user(user, 0, &pw, &buf)) {
        have_pw = true;
    } else if (parse_id(user, &id)) {
        have_pw = lookup_user(NULL, (uid_t)id, &pw, &buf);
        t->uid = (uid_t)id;
        if (!have_pw && !group) {
            snprintf(why, cap, "uid %lu has no entry in the user database: set service.group "
                               "too", id);
            rc = -1;
            goto out;
        }
    } else {
        snprintf(why, cap, "no user named \"%s\" on this system (see getent passwd)", user);
        rc = -1;
        goto out;
    }
    if (have_pw) {
        t->uid = pw.pw_uid;
        t->gid = pw.pw_gid;
        if (pw.pw_name && strlen(pw.pw_name) < sizeof t->name) {
            t->has_name = true;
            snprintf(t->name, sizeof t->name, "%s", pw.pw_name);
        }
    }
    if (group) {
        *which = WHY_GROUP;
        t->group_given = true;
        if (!*group) {
            snprintf(why, cap, "must name a group (or be a numeric gid), not be empty");
            rc = -1;
            goto out;
        }
        if (lookup_group(group, 0, &gr, &buf))
            t->gid = gr.gr_gid;
        else if (parse_id(group, &id))
            t->gid = (gid_t)id;
        else {
            snprintf(why, cap, "no group named \"%s\" on this system (see getent group)", group);
            rc = -1;
            goto out;
        }
    }
    if (lookup_group(NULL, t->gid, &gr, &buf) && gr.gr_name &&
        strlen(gr.gr_name) < sizeof t->group_name)
        snprintf(t->group_name, sizeof t->group_name, "%s", gr.gr_name);
out:
    free(buf);
    return rc;
}

void sl_privileges_check_config(const sl_service_cfg *svc, const sl_node *svc_node,
                                sl_diags *d)
{
    if (!svc->user) {
        if (svc->group) {
            const sl_node *at = sl_node_get(svc_node, "group");
            sl_diag_error(d, at ? at : svc_node, "service: option \"group\" needs \"user\" "
                                                 "(the account sluice switches to when started "
                                                 "as root)");
        }
        return;
    }
    target t;
    char why[512];
    int which;
    if (resolve(svc->user, svc->group, &t, why, sizeof why, &which) != 0) {
        const char *opt = which == WHY_GROUP ? "group" : "user";
        const sl_node *at = sl_node_get(svc_node, opt);
        sl_diag_error(d, at ? at : svc_node, "service: option \"%s\": %s", opt, why);
    }
}

/* "nobody (uid 65534) and group nogroup (gid 65534)" */
static void describe(const target *t, char *out, size_t cap)
{
    char g[300];
    if (*t->group_name)
        snprintf(g, sizeof g, "group %s (gid %u)", t->group_name, (unsigned)t->gid);
    else
        snprintf(g, sizeof g, "gid %u", (unsigned)t->gid);
    if (t->has_name)
        snprintf(out, cap, "user %s (uid %u) and %s", t->name, (unsigned)t->uid, g);
    else
        snprintf(out, cap, "uid %u and %s", (unsigned)t->uid, g);
}

/* Not root: fine only when we already are the target. */
static int check_not_root(const sl_service_cfg *svc, const target *t)
{
    if (geteuid() == t->uid && getuid() == t->uid &&
        (!t->group_given || (getegid() == t->gid && getgid() == t->gid))) {
        sl_debug(PRIV, "already running as service.user \"%s\": nothing to switch", svc->user);
        return 0;
    }
    char who[700];
    describe(t, who, sizeof who);
    sl_error(PRIV, "service.user is \"%s\"%s%s%s, but sluice is not running as root (uid %u, "
                   "gid %u), so it cannot switch to %s: start it as root, or remove "
                   "service.user (it may name the user sluice already runs as)",
             svc->user, svc->group ? " (service.group \"" : "", svc->group ? svc->group : "",
             svc->group ? "\")" : "", (unsigned)geteuid(), (unsigned)getegid(), who);
    return -1;
}

int sl_privileges_preflight(const sl_service_cfg *svc)
{
    if (!svc->user)
        return 0;
    target t;
    char why[512];
    int which;
    if (resolve(svc->user, svc->group, &t, why, sizeof why, &which) != 0) {
        sl_error(PRIV, "service.%s: %s", which == WHY_GROUP ? "group" : "user", why);
        return -1;
    }
    if (geteuid() == 0)
        return 0;
    return check_not_root(svc, &t);
}

/* ---- giving the state directories to the target user ---------------------- */

/* Change the owner of what `pfd` (an O_PATH descriptor) refers to. */
static int chown_fd(int pfd, const target *t)
{
    return fchownat(pfd, "", t->uid, t->gid, AT_EMPTY_PATH);
}

/* Give every entry below the directory `dfd` to the target. The walk is
 * safe against a tree the target user could have changed (it owned it in an
 * earlier run): entries are opened relative to their directory with
 * O_PATH|O_NOFOLLOW, so a symbolic link is never followed, nothing is
 * opened for real (no device or FIFO side effects) and what is changed is
 * exactly what was checked; a regular file with more than one link (a hard
 * link to a file elsewhere) is left alone. */
static int chown_entries(int dfd, const char *path, const target *t, int depth)
{
    int rc = 0;
    int dup_fd = dup(dfd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!dir) {
        sl_error(PRIV, "cannot list %s: %s", path, strerror(errno));
        if (dup_fd >= 0)
            close(dup_fd);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        sl_buf child = {0};
        sl_buf_printf(&child, "%s/%s", path, de->d_name);
        sl_buf_putc(&child, 0);
        int pfd = openat(dfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (pfd < 0 || fstat(pfd, &st) != 0) {
            if (errno != ENOENT) {      /* (gone meanwhile: nothing to do) */
                sl_error(PRIV, "cannot inspect %s: %s", child.p, strerror(errno));
                rc = -1;
            }
        } else if (S_ISDIR(st.st_mode)) {
            if (chown_fd(pfd, t) != 0) {
                sl_error(PRIV, "cannot give %s to uid %u: %s", child.p, (unsigned)t->uid,
                         strerror(errno));
                rc = -1;
            } else if (depth >= MAX_TREE_DEPTH) {
                sl_warn(PRIV, "%s: nested deeper than %d levels; not looking further",
                        child.p, MAX_TREE_DEPTH);
            } else {
                int sub = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub < 0 || chown_entries(sub, child.p, t, depth + 1) != 0)
                    rc = -1;
                if (sub >= 0)
                    close(sub);
            }
        } else if (S_ISREG(st.st_mode) && st.st_nlink == 1) {
            if ((st.st_uid != t->uid || st.st_gid != t->gid) && chown_fd(pfd, t) != 0) {
                sl_error(PRIV, "cannot give %s to uid %u: %s", child.p, (unsigned)t->uid,
                         strerror(errno));
                rc = -1;
            }
        } else if (!S_ISLNK(st.st_mode)) {
            sl_warn(PRIV, "%s is not a plain file or directory (or has several hard links): "
                          "leaving its owner alone", child.p);
        }
        if (pfd >= 0)
            close(pfd);
        sl_buf_free(&child);
    }
    closedir(dir);
    return rc;
}

/* Is `name` one of the entries sluice itself keeps in service.state_dir? */
static bool is_state_entry(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
           strcmp(name, "checkpoints") == 0 || strcmp(name, "buffers") == 0;
}

/* Does the directory `pfd` hold anything but sluice's own entries? */
static bool holds_other_files(int pfd)
{
    int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dir) {
        if (dfd >= 0)
            close(dfd);
        return true;
    }
    bool other = false;
    struct dirent *de;
    while (!other && (de = readdir(dir)) != NULL)
        other = !is_state_entry(de->d_name);
    closedir(dir);
    return other;
}

/* Give the directory `path` (and, with `tree`, everything in it) to the
 * target. A directory that is world-writable, is "/", or belongs to
 * another user than root and the target is left alone with a warning:
 * sluice does not take over directories that are not its own. With
 * `only_if_ours`, so is one that holds other entries than sluice's
 * (service.state_dir may be a shared parent such as /var/lib). Missing:
 * nothing to do. */
static int give_dir(const char *path, const target *t, bool tree, bool only_if_ours,
                    const char *what)
{
    int pfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        if (errno == ENOENT)
            return 0;
        sl_error(PRIV, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    char *real = realpath(path, NULL);
    int rc = 0;
    const char *skip = NULL;
    if (fstat(pfd, &st) != 0) {
        sl_error(PRIV, "%s %s: %s", what, path, strerror(errno));
        rc = -1;
    } else if (st.st_uid == t->uid && st.st_gid == t->gid && !tree) {
        /* already the target's */
    } else if (real && strcmp(real, "/") == 0) {
        skip = "it is the root directory";
    } else if (st.st_mode & S_IWOTH) {
        skip = "it is writable by every user";
    } else if (st.st_uid != 0 && st.st_uid != t->uid) {
        skip = "it belongs to another user";
    } else if (only_if_ours && st.st_uid != t->uid && holds_other_files(pfd)) {
        skip = "it holds other files than sluice's checkpoints/ and buffers/";
    } else if (chown_fd(pfd, t) != 0) {
        sl_error(PRIV, "cannot give %s %s to uid %u: %s", what, path, (unsigned)t->uid,
                 strerror(errno));
        rc = -1;
    } else if (tree) {
        int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || chown_entries(dfd, path, t, 1) != 0)
            rc = -1;
        if (dfd >= 0)
            close(dfd);
    }
    if (skip)
        sl_warn(PRIV, "not changing the owner of %s %s (uid %u, mode %04o): %s; make sure "
                      "uid %u can write what sluice keeps there",
                what, path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), skip,
                (unsigned)t->uid);
    free(real);
    close(pfd);
    return rc;
}

/* state_dir (created if missing), its checkpoints/ and buffers/ trees, and
 * every disk buffer's own directory. */
static int prepare_dirs(const sl_config *cfg, const target *t)
{
    int rc = 0;
    const char *sd = cfg->service.state_dir;
    if (sd && *sd) {
        struct stat st;
        if (stat(sd, &st) != 0 && errno == ENOENT && sl_mkdir_p(sd, 0700) != 0) {
            sl_error(PRIV, "cannot create service.state_dir %s: %s", sd, strerror(errno));
            return -1;
        }
        if (give_dir(sd, t, false, true, "service.state_dir") != 0)
            rc = -1;
        static const char *const subdirs[] = {"checkpoints", "buffers"};
        for (size_t i = 0; i < 2; i++) {
            sl_buf p = {0};
            sl_buf_printf(&p, "%s/%s", sd, subdirs[i]);
            sl_buf_putc(&p, 0);
            if (give_dir(p.p, t, true, false, "state directory") != 0)
                rc = -1;
            sl_buf_free(&p);
        }
    }
    for (size_t i = 0; i < cfg->n_dests; i++) {
        const sl_dest_common *cm = &cfg->dests[i].common;
        if (cm->buffer_type == SL_BUF_DISK && cm->buffer_path && *cm->buffer_path &&
            give_dir(cm->buffer_path, t, true, false, "disk buffer directory") != 0)
            rc = -1;
    }
    return rc;
}

/* ---- switching and checking ----------------------------------------------- */

/* The Uid: and Gid: lines of every thread of this process show the target
 * in all four fields (real, effective, saved, file system). */
static int check_threads(const target *t)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 0;               /* no /proc: the checks above must do */
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;           /* the thread just ended */
        while (fgets(line, sizeof line, f)) {
            bool is_uid = strncmp(line, "Uid:", 4) == 0, is_gid = strncmp(line, "Gid:", 4) == 0;
            if (!is_uid && !is_gid)
                continue;
            unsigned long want = is_uid ? (unsigned long)t->uid : (unsigned long)t->gid;
            /* real, effective, saved, file system: all four must be `want` */
            const char *p = line + 4;
            int fields = 0;
            bool same = true;
            for (; fields < 4; fields++) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || errno)
                    break;
                same &= v == want;
                p = end;
            }
            if (fields != 4 || !same) {
                line[strcspn(line, "\n")] = 0;
                sl_error(PRIV, "thread %s still has \"%s\" after the switch", de->d_name, line);
                rc = -1;
            }
        }
        fclose(f);
    }
    closedir(dir);
    return rc;
}

static int check_no_capabilities(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) != 0)
        return 0;               /* cannot tell: the uid checks must do */
    for (int i = 0; i < 2; i++) {
        if (data[i].effective || data[i].permitted) {
            sl_error(PRIV, "capabilities are left after the switch (permitted %08x%08x); "
                           "refusing to run",
                     data[1].permitted, data[0].permitted);
            return -1;
        }
    }
    return 0;
}

/* After the switch: every id is the target's, and there is no way back. */
static int verify(const target *t)
{
    uid_t ru = (uid_t)-1, eu = (uid_t)-1, su = (uid_t)-1;
    gid_t rg = (gid_t)-1, eg = (gid_t)-1, sg = (gid_t)-1;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != t->uid ||
        eu != t->uid || su != t->uid || rg != t->gid || eg != t->gid || sg != t->gid) {
        sl_error(PRIV, "the switch did not take: uids %u/%u/%u, gids %u/%u/%u", (unsigned)ru,
                 (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg, (unsigned)sg);
        return -1;
    }
    if (t->uid == 0)
        return check_threads(t);
    /* These must fail: root is gone for good. */
    if (setuid(0) == 0 || seteuid(0) == 0) {
        sl_error(PRIV, "sluice could become root again after switching to uid %u; refusing "
                       "to run", (unsigned)t->uid);
        return -1;
    }
    if (t->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
        sl_error(PRIV, "sluice could take gid 0 again after switching to gid %u; refusing "
                       "to run", (unsigned)t->gid);
        return -1;
    }
    if (check_no_capabilities() != 0)
        return -1;
    return check_threads(t);
}

static bool dropped;

bool sl_privileges_dropped(void) { return dropped; }


int sl_privileges_drop(const sl_config *cfg)
{
    const sl_service_cfg *svc = &cfg->service;
    if (!svc->user)
        return 0;
    target t;
    char why[512];
    int which;
    if (resolve(svc->user, svc->group, &t, why, sizeof why, &which) != 0) {
        sl_error(PRIV, "service.%s: %s", which == WHY_GROUP ? "group" : "user", why);
        return -1;
    }
    if (geteuid() != 0)
        return check_not_root(svc, &t);
    char who[700];
    describe(&t, who, sizeof who);
    if (prepare_dirs(cfg, &t) != 0) {
        sl_error(PRIV, "cannot prepare the state directories for %s", who);
        return -1;
    }
    /* Threads exist already (workers, destination senders, disk buffer
     * pumps). That is fine: glibc applies setgroups, setresgid and
     * setresuid to every thread of the process (it broadcasts the change
     * with an internal signal, as POSIX requires), and check_threads()
     * below reads each thread's ids from /proc to be sure. */
    if (t.group_given || !t.has_name) {
        if (setgroups(1, &t.gid) != 0) {
            sl_error(PRIV, "cannot set the supplementary groups to gid %u: %s",
                     (unsigned)t.gid, strerror(errno));
            return -1;
        }
    } else if (initgroups(t.name, t.gid) != 0) {
        sl_error(PRIV, "cannot set the supplementary groups of %s: %s", t.name,
                 strerror(errno));
        return -1;
    }
    if (setresgid(t.gid, t.gid, t.gid) != 0) {
        sl_error(PRIV, "cannot switch to gid %u: %s", (unsigned)t.gid, strerror(errno));
        return -1;
    }
    if (setresuid(t.uid, t.uid, t.uid) != 0) {
        sl_error(PRIV, "cannot switch to uid %u: %s", (unsigned)t.uid, strerror(errno));
        return -1;
    }
    if (verify(&t) != 0)
        return -1;
    dropped = t.uid != 0;
    int ngroups = getgroups(0, NULL);
    sl_info(PRIV, "running as %s%s (%d supplementary group%s); sources and destinations "
                  "opened as root stay open",
            who, t.uid == 0 ? " (still root: service.user names root)" : "",
            ngroups, ngroups == 1 ? "" : "s");
    return 0;
}
