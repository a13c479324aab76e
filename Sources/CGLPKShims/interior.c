/* GLPK's interior point in a forked child process; see CGLPKInterior.h.

   Rules for the child (it is a copy of a multi-threaded process, of which only the forking
   thread exists): it runs only the functions of this file and GLPK; it never touches stdio
   (the parent's FILE buffers were copied with it), never returns into the caller, and leaves
   through _exit so no atexit handler or destructor of the parent runs twice. GLPK allocates
   with malloc, which glibc keeps usable across fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <glpk.h>
#include "CGLPKInterior.h"
#include "CLipSpawn.h"

/* Written by the child, read by the parent (MAP_SHARED). */
typedef struct shared_header {
    int state;                 /* LIPLUA_IPT_*; stored last, with release semantics */
    int ret, status;
    int iteration;             /* last progress line */
    double objective;          /* glp_ipt_obj_val at the end */
    double iteration_objective;
    long long factor_nonzeros; /* -1 until GLPK printed it */
    unsigned seq;              /* bumped after every progress update */
    double child_start;        /* monotonic seconds when the child started */
    long rss_start_kb;         /* the child's VmRSS when it started (inherited pages) */
    long hwm_kb;               /* the child's VmHWM at its last output line */
    char message[2048];
} shared_header;

struct liplua_ipt_run {
    pid_t pid;
    void *map;
    size_t map_size;
    shared_header *hdr;
    double *x, *d, *y;
    int m, n;
    int state, sig, code, reaped;
    double start_time, fork_seconds;
    long child_peak_kb, parent_rss_kb;
};

double liplua_ipt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- the child */

static shared_header *c_hdr;
static const liplua_ipt_input *c_in;
static char c_recent[2048];
static char c_line[1024];
static size_t c_line_len;

static void c_write_all(const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        s += w; n -= (size_t)w;
    }
}

static void c_append_recent(const char *s) {
    size_t rn = strlen(c_recent), sn = strlen(s);
    if (sn >= sizeof c_recent) { s += sn - (sizeof c_recent - 1); sn = sizeof c_recent - 1; }
    if (rn + sn >= sizeof c_recent) {
        /* keep the newest part */
        size_t drop = rn + sn - (sizeof c_recent - 1);
        memmove(c_recent, c_recent + drop, rn - drop + 1);
        rn -= drop;
    }
    memcpy(c_recent + rn, s, sn + 1);
}

/* A field of /proc/self/status in kB, with raw system calls (no stdio in the child). */
static long c_status_kb(const char *field) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    size_t len = strlen(field);
    for (char *p = buf; p && *p; ) {
        if (strncmp(p, field, len) == 0 && p[len] == ':') return strtol(p + len + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

static const char *skip_blanks(const char *p) { while (*p == ' ' || *p == '\t') p++; return p; }

/* "Matrix L has 639183 non-zeros" or " 12: obj =  -1.5e+00; rpi = ..." */
static void c_parse_line(const char *line) {
    static const char factor[] = "Matrix L has ";
    if (strncmp(line, factor, sizeof factor - 1) == 0) {
        char *end;
        long long v = strtoll(line + sizeof factor - 1, &end, 10);
        if (end != line + sizeof factor - 1) {
            c_hdr->factor_nonzeros = v;
            __atomic_add_fetch(&c_hdr->seq, 1, __ATOMIC_RELEASE);
            if (c_in->factor_limit > 0 && v > c_in->factor_limit) {
                __atomic_store_n(&c_hdr->state, LIPLUA_IPT_FACTOR_LIMIT, __ATOMIC_RELEASE);
                _exit(4);
            }
        }
        return;
    }
    const char *p = skip_blanks(line);
    char *end;
    long it = strtol(p, &end, 10);
    if (end == p || *end != ':') return;
    p = skip_blanks(end + 1);
    if (strncmp(p, "obj", 3) != 0) return;
    p = skip_blanks(p + 3);
    if (*p != '=') return;
    double obj = strtod(p + 1, &end);
    if (end == p + 1) return;
    c_hdr->iteration = (int)it;
    c_hdr->iteration_objective = obj;
    __atomic_add_fetch(&c_hdr->seq, 1, __ATOMIC_RELEASE);
}

static int c_term_hook(void *info, const char *s) {
    (void)info;
    c_append_recent(s);
    if (c_in->echo) c_write_all(s, strlen(s));
    c_hdr->hwm_kb = c_status_kb("VmHWM");
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            c_line[c_line_len] = 0;
            c_parse_line(c_line);
            c_line_len = 0;
        } else if (c_line_len + 1 < sizeof c_line) {
            c_line[c_line_len++] = *p;
        }
    }
    return 1;   /* GLPK itself prints nothing (it would use the copied stdio buffers) */
}

static void c_error_hook(void *info) {
    (void)info;
    size_t n = strlen(c_recent);
    if (n >= sizeof c_hdr->message) n = sizeof c_hdr->message - 1;
    memcpy(c_hdr->message, c_recent + strlen(c_recent) - n, n);
    c_hdr->message[n] = 0;
    __atomic_store_n(&c_hdr->state, LIPLUA_IPT_FATAL, __ATOMIC_RELEASE);
    _exit(3);
}

static void c_run(const liplua_ipt_input *in, shared_header *hdr, double *x, double *d, double *y,
                  pid_t parent) {
    c_hdr = hdr; c_in = in;
    c_recent[0] = 0; c_line_len = 0;
    hdr->child_start = liplua_ipt_now();
    hdr->rss_start_kb = c_status_kb("VmRSS");
    /* Die with the parent; leave Ctrl-C to the parent (it polls the interrupt flag and kills
       this process), so a programmatic interrupt and a real one behave the same. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(5);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    /* Hold none of the parent's other files: a pipe or output file the parent (or another
       thread of it) has open must reach end-of-file when the parent closes it, not when this
       solve ends. stdout stays (GLPK's log is echoed there when asked), stderr too. */
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) { dup2(devnull, 0); if (devnull > 2) close(devnull); }
    liplua_close_descriptors_from(3);

    glp_term_hook(c_term_hook, NULL);
    glp_error_hook(c_error_hook, NULL);
    glp_prob *p = glp_create_prob();
    glp_set_obj_dir(p, in->dir);
    if (in->m > 0) glp_add_rows(p, in->m);
    if (in->n > 0) glp_add_cols(p, in->n);
    for (int i = 0; i < in->m; i++) glp_set_row_bnds(p, i + 1, in->row_type[i], in->row_lo[i], in->row_up[i]);
    for (int j = 0; j < in->n; j++) {
        glp_set_col_bnds(p, j + 1, in->col_type[j], in->col_lo[j], in->col_up[j]);
        if (in->obj[j] != 0) glp_set_obj_coef(p, j + 1, in->obj[j]);
    }
    glp_set_obj_coef(p, 0, in->c0);
    if (in->nnz > 0) glp_load_matrix(p, in->nnz, in->ia, in->ja, in->ar);

    glp_iptcp parm;
    glp_init_iptcp(&parm);
    parm.msg_lev = GLP_MSG_ALL;      /* the lines are progress and the factor size */
    if (in->ord_alg > 0) parm.ord_alg = in->ord_alg;
    int ret = glp_interior(p, &parm);

    hdr->hwm_kb = c_status_kb("VmHWM");
    hdr->ret = ret;
    hdr->status = glp_ipt_status(p);
    hdr->objective = glp_ipt_obj_val(p);
    if (ret == 0) {
        for (int j = 0; j < in->n; j++) { x[j] = glp_ipt_col_prim(p, j + 1); d[j] = glp_ipt_col_dual(p, j + 1); }
        for (int i = 0; i < in->m; i++) y[i] = glp_ipt_row_dual(p, i + 1);
    }
    __atomic_store_n(&hdr->state, LIPLUA_IPT_DONE, __ATOMIC_RELEASE);
    _exit(0);
}

/* ---------------------------------------------------------------- the parent */

static long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long v = 0;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') { v = atol(line + n + 1); break; }
    }
    fclose(f);
    return v;
}

long liplua_proc_status_kb(const char *field) { return status_kb(field); }

long long liplua_address_space_limit(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return -1;
    return (long long)r.rlim_cur;
}

liplua_ipt_run *liplua_ipt_start(const liplua_ipt_input *in, int *error) {
    *error = 0;
    if (in->m < 0 || in->n < 0 || in->nnz < 0) { *error = EINVAL; return NULL; }
    liplua_ipt_run *run = calloc(1, sizeof *run);
    if (!run) { *error = ENOMEM; return NULL; }
    size_t values = 2 * (size_t)in->n + (size_t)in->m;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = sizeof(shared_header) + values * sizeof(double) + 64;
    size = (size + page - 1) / page * page;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) { *error = errno; free(run); return NULL; }
    run->map = map; run->map_size = size;
    run->hdr = (shared_header *)map;
    run->hdr->state = LIPLUA_IPT_RUNNING;
    run->hdr->factor_nonzeros = -1;
    double *values_base = (double *)((char *)map + ((sizeof(shared_header) + 63) / 64) * 64);
    run->x = values_base; run->d = values_base + in->n; run->y = values_base + 2 * (size_t)in->n;
    run->m = in->m; run->n = in->n;
    run->parent_rss_kb = status_kb("VmRSS");
    pid_t parent = getpid();
    run->start_time = liplua_ipt_now();
    pid_t pid = fork();
    if (pid == 0) c_run(in, run->hdr, run->x, run->d, run->y, parent);   /* never returns */
    run->fork_seconds = liplua_ipt_now() - run->start_time;
    if (pid < 0) {
        *error = errno;
        munmap(map, size);
        free(run);
        return NULL;
    }
    run->pid = pid;
    run->state = LIPLUA_IPT_RUNNING;
    return run;
}

static void record_exit(liplua_ipt_run *run, int wstatus, const struct rusage *ru) {
    run->reaped = 1;
    if (ru) run->child_peak_kb = ru->ru_maxrss;
    int shared = __atomic_load_n(&run->hdr->state, __ATOMIC_ACQUIRE);
    if (WIFSIGNALED(wstatus)) { run->sig = WTERMSIG(wstatus); run->code = -1; }
    else if (WIFEXITED(wstatus)) { run->sig = 0; run->code = WEXITSTATUS(wstatus); }
    if (run->state == LIPLUA_IPT_KILLED) return;
    if (shared == LIPLUA_IPT_DONE && run->sig == 0 && run->code == 0) run->state = LIPLUA_IPT_DONE;
    else if (shared == LIPLUA_IPT_FATAL && run->sig == 0) run->state = LIPLUA_IPT_FATAL;
    else if (shared == LIPLUA_IPT_FACTOR_LIMIT && run->sig == 0) run->state = LIPLUA_IPT_FACTOR_LIMIT;
    else run->state = LIPLUA_IPT_DIED;
}

static int try_reap(liplua_ipt_run *run, int block) {
    if (run->reaped) return 1;
    int wstatus = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t r = wait4(run->pid, &wstatus, block ? 0 : WNOHANG, &ru);
        if (r == run->pid) { record_exit(run, wstatus, &ru); return 1; }
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        /* ECHILD: someone else reaped it (SIGCHLD ignored): trust the shared state. */
        int shared = __atomic_load_n(&run->hdr->state, __ATOMIC_ACQUIRE);
        if (shared == LIPLUA_IPT_RUNNING && kill(run->pid, 0) == 0 && !block) return 0;
        run->reaped = 1;
        if (run->state != LIPLUA_IPT_KILLED)
            run->state = shared == LIPLUA_IPT_RUNNING ? LIPLUA_IPT_DIED : shared;
        return 1;
    }
}

int liplua_ipt_poll(liplua_ipt_run *run, int wait_ms) {
    if (try_reap(run, 0)) return run->state;
    if (wait_ms > 0) {
        double until = liplua_ipt_now() + wait_ms * 1e-3;
        while (liplua_ipt_now() < until) {
            struct timespec ts = { 0, 2 * 1000 * 1000 };   /* 2 ms slices */
            nanosleep(&ts, NULL);
            if (try_reap(run, 0)) return run->state;
        }
    }
    return run->state;
}

void liplua_ipt_kill(liplua_ipt_run *run) {
    if (run->reaped) return;
    run->state = LIPLUA_IPT_KILLED;
    kill(run->pid, SIGKILL);
    try_reap(run, 1);
}

static void *reaper(void *arg) {
    liplua_ipt_run *run = arg;
    try_reap(run, 1);
    munmap(run->map, run->map_size);
    free(run);
    return NULL;
}

void liplua_ipt_abandon(liplua_ipt_run *run) {
    if (!run) return;
    if (run->reaped) { liplua_ipt_free(run); return; }
    run->state = LIPLUA_IPT_KILLED;
    kill(run->pid, SIGKILL);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int failed = pthread_create(&t, &attr, reaper, run);
    pthread_attr_destroy(&attr);
    if (failed) { try_reap(run, 1); munmap(run->map, run->map_size); free(run); }
}

void liplua_ipt_free(liplua_ipt_run *run) {
    if (!run) return;
    if (!run->reaped) liplua_ipt_kill(run);
    munmap(run->map, run->map_size);
    free(run);
}

unsigned liplua_ipt_progress(const liplua_ipt_run *run, int *iteration, double *objective,
                             long long *factor_nonzeros) {
    unsigned seq = __atomic_load_n(&run->hdr->seq, __ATOMIC_ACQUIRE);
    if (iteration) *iteration = run->hdr->iteration;
    if (objective) *objective = run->hdr->iteration_objective;
    if (factor_nonzeros) *factor_nonzeros = run->hdr->factor_nonzeros;
    return seq;
}

int liplua_ipt_ret(const liplua_ipt_run *run) { return run->hdr->ret; }
int liplua_ipt_status(const liplua_ipt_run *run) { return run->hdr->status; }
double liplua_ipt_objective(const liplua_ipt_run *run) { return run->hdr->objective; }
const double *liplua_ipt_x(const liplua_ipt_run *run) { return run->x; }
const double *liplua_ipt_d(const liplua_ipt_run *run) { return run->d; }
const double *liplua_ipt_y(const liplua_ipt_run *run) { return run->y; }
const char *liplua_ipt_message(const liplua_ipt_run *run) { return run->hdr->message; }
int liplua_ipt_signal(const liplua_ipt_run *run) { return run->sig; }
int liplua_ipt_exit_code(const liplua_ipt_run *run) { return run->code; }
double liplua_ipt_fork_seconds(const liplua_ipt_run *run) { return run->fork_seconds; }
double liplua_ipt_startup_seconds(const liplua_ipt_run *run) {
    double s = run->hdr->child_start;
    return s > 0 ? s - run->start_time : -1;
}
long liplua_ipt_child_peak_kb(const liplua_ipt_run *run) { return run->child_peak_kb; }
long liplua_ipt_parent_rss_kb(const liplua_ipt_run *run) { return run->parent_rss_kb; }
long liplua_ipt_child_added_kb(const liplua_ipt_run *run) {
    long hwm = run->hdr->hwm_kb, start = run->hdr->rss_start_kb;
    if (run->child_peak_kb > hwm) hwm = run->child_peak_kb;   /* wait4 saw the final peak */
    return hwm > start ? hwm - start : 0;
}
