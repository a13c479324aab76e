#ifndef LIPLUA_CGLPKINTERIOR_H
#define LIPLUA_CGLPKINTERIOR_H
/* GLPK's interior point in a child process that can be stopped.

   glp_interior has no time limit, and its Cholesky factorisation (repeated every iteration)
   runs for seconds to minutes without printing anything, so no hook inside the process can
   stop it. liplua_ipt_start() forks; the child runs only the C code of this file and GLPK:
   it builds the problem from the parent's arrays (copy-on-write memory, nothing is copied up
   front), solves it, writes x, d, y and the status into a MAP_SHARED anonymous mapping and
   leaves with _exit. The parent polls (liplua_ipt_poll) and kills the child with SIGKILL when
   its deadline passes or an interrupt is requested. No Swift code runs in the child.

   Every function here is called by the parent only. */
#include <stddef.h>

/* The LP as GLPK takes it (1-based triplets as for glp_load_matrix: ia[0], ja[0], ar[0] unused).
   The pointers must stay valid until liplua_ipt_start returns (the child reads its own
   copy-on-write image of them). */
typedef struct liplua_ipt_input {
    int m, n, nnz;
    int dir;                       /* GLP_MIN / GLP_MAX */
    double c0;
    const int *row_type; const double *row_lo; const double *row_up;
    const int *col_type; const double *col_lo; const double *col_up; const double *obj;
    const int *ia; const int *ja; const double *ar;
    int ord_alg;                   /* GLP_ORD_* (0 = GLPK's default) */
    long long factor_limit;        /* > 0: stop when GLPK's Cholesky factor L has more nonzeros */
    int echo;                      /* 1: the child writes GLPK's text to file descriptor 1 */
} liplua_ipt_input;

typedef struct liplua_ipt_run liplua_ipt_run;   /* opaque */

/* States reported by liplua_ipt_poll. */
#define LIPLUA_IPT_RUNNING       0
#define LIPLUA_IPT_DONE          1   /* glp_interior returned: see liplua_ipt_ret/status */
#define LIPLUA_IPT_FATAL         2   /* GLPK fatal error in the child: liplua_ipt_message */
#define LIPLUA_IPT_FACTOR_LIMIT  3   /* L had more nonzeros than factor_limit */
#define LIPLUA_IPT_DIED          4   /* the child ended otherwise (signal or exit code) */
#define LIPLUA_IPT_KILLED        5   /* killed by liplua_ipt_kill */

/* Maps the shared result area and forks. Returns NULL with *error set to an errno value when
   the mapping or fork fails (the caller then solves in-process). */
liplua_ipt_run *liplua_ipt_start(const liplua_ipt_input *input, int *error);

/* Waits up to wait_ms milliseconds for the child to finish, then returns its state. A
   finished child is reaped (its peak RSS is then available). */
int liplua_ipt_poll(liplua_ipt_run *run, int wait_ms);

/* SIGKILL and reap; returns when the child is gone. Safe to call when it has ended. */
void liplua_ipt_kill(liplua_ipt_run *run);

/* Frees the mapping (kills the child first if it still runs). */
void liplua_ipt_free(liplua_ipt_run *run);

/* SIGKILL and return at once: a detached thread waits for the child (the kernel frees a large
   child's memory at its own pace — seconds for gigabytes on a loaded machine) and then frees
   `run`, which the caller must not touch again. */
void liplua_ipt_abandon(liplua_ipt_run *run);

/* Progress: the last iteration line GLPK printed (iteration, objective), and the size of the
   Cholesky factor once printed (-1 before). Returns a counter that changes with every line. */
unsigned liplua_ipt_progress(const liplua_ipt_run *run, int *iteration, double *objective,
                             long long *factor_nonzeros);

/* Results (valid after LIPLUA_IPT_DONE). x and d have n entries, y has m. */
int liplua_ipt_ret(const liplua_ipt_run *run);
int liplua_ipt_status(const liplua_ipt_run *run);
double liplua_ipt_objective(const liplua_ipt_run *run);
const double *liplua_ipt_x(const liplua_ipt_run *run);
const double *liplua_ipt_d(const liplua_ipt_run *run);
const double *liplua_ipt_y(const liplua_ipt_run *run);
/* GLPK's last lines before a fatal error (LIPLUA_IPT_FATAL), or "". */
const char *liplua_ipt_message(const liplua_ipt_run *run);
/* LIPLUA_IPT_DIED: the signal that ended the child (0 if it exited), and its exit code. */
int liplua_ipt_signal(const liplua_ipt_run *run);
int liplua_ipt_exit_code(const liplua_ipt_run *run);

/* Measurements: seconds spent in fork() in the parent, seconds from liplua_ipt_start until
   the child ran its first instruction, the child's peak resident set (kB, from wait4; it
   includes the parent's pages the child had mapped), and the parent's resident set at fork
   (kB), so peak - parent is about what the child added. */
double liplua_ipt_fork_seconds(const liplua_ipt_run *run);
double liplua_ipt_startup_seconds(const liplua_ipt_run *run);
long liplua_ipt_child_peak_kb(const liplua_ipt_run *run);
long liplua_ipt_parent_rss_kb(const liplua_ipt_run *run);
/* What the child added to the memory it inherited (kB): its peak resident set (VmHWM at its
   last output line, or wait4's figure when it ended by itself) minus its resident set when
   it started. Counts until the child is killed, up to its last line. */
long liplua_ipt_child_added_kb(const liplua_ipt_run *run);

/* Monotonic seconds (the clock every deadline here uses). */
double liplua_ipt_now(void);

/* This process: current and peak resident set (VmRSS, VmHWM) and address space (VmSize) in
   kB from /proc/self/status (0 when unknown), and the soft RLIMIT_AS in bytes (-1 = none). */
long liplua_proc_status_kb(const char *field);
long long liplua_address_space_limit(void);
#endif
