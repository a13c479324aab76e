#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <glpk.h>
#include "CGLPKShims.h"
#include "CLipSignals.h"

static _Thread_local jmp_buf *active_guard = NULL;
static _Thread_local char fatal_message[4096];
static _Thread_local int output_mode = 0;
static _Thread_local char *captured = NULL;
static _Thread_local size_t captured_len = 0, captured_cap = 0;
static _Thread_local char recent[2048];   /* the last lines GLPK printed, for fatal errors */
static _Thread_local liplua_glpk_line_fn line_fn = NULL;
static _Thread_local void *line_ctx = NULL;
static _Thread_local double deadline = 0;  /* monotonic seconds; 0 = none */
static _Thread_local int deadline_hit = 0;
static _Thread_local int abort_requested = 0;
static _Thread_local unsigned long generation = 0;  /* counts glp_free_env() resets */
static _Thread_local int interruptible = 0;         /* the interrupt flag stops guarded calls */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void append(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf), m = strlen(s);
    if (n + m >= cap) m = cap - n - 1;
    memcpy(buf + n, s, m);
    buf[n + m] = 0;
}

static int term_hook(void *info, const char *s) {
    (void)info;
    size_t rn = strlen(recent), sn = strlen(s);
    if (rn + sn >= sizeof recent) { recent[0] = 0; }
    append(recent, sizeof recent, s);
    int suppress = -1;
    if (line_fn) suppress = line_fn(line_ctx, s);
    /* Stops happen only inside a guard, and never while GLPK prints a fatal error (its
       message is wanted, and the error hook frees the environment anyway). */
    if (active_guard && !glp_at_error()) {
        if (abort_requested) {
            abort_requested = 0;
            longjmp(*active_guard, 3);
        }
        /* Ctrl-C (the process-wide flag of CLipSignals): GLPK prints progress while it works
           (the simplex every out_frq ms), so this is where a solve notices it. */
        if (interruptible && liplua_interrupt_pending()) longjmp(*active_guard, 4);
        /* Deadline: a backstop for solvers whose own time limit does not cover every stage. */
        if (deadline > 0 && now_seconds() > deadline) {
            deadline_hit = 1;
            longjmp(*active_guard, 2);
        }
    }
    if (suppress >= 0) return suppress;
    if (output_mode == 1) return 0;
    if (output_mode == 2) {
        size_t m = strlen(s);
        if (captured_len + m + 1 > captured_cap) {
            size_t cap = captured_cap ? captured_cap * 2 : 4096;
            while (cap < captured_len + m + 1) cap *= 2;
            char *p = realloc(captured, cap);
            if (!p) return 1;
            captured = p; captured_cap = cap;
        }
        memcpy(captured + captured_len, s, m + 1);
        captured_len += m;
    }
    return 1;
}

static void error_hook(void *info) {
    (void)info;
    fatal_message[0] = 0;
    append(fatal_message, sizeof fatal_message, recent);
    if (active_guard) longjmp(*active_guard, 1);
}

void liplua_glpk_set_output(int mode) {
    output_mode = mode;
    glp_term_hook(term_hook, NULL);
}

const char *liplua_glpk_captured(void) { return captured ? captured : ""; }
void liplua_glpk_clear_captured(void) { captured_len = 0; if (captured) captured[0] = 0; }
const char *liplua_glpk_last_fatal(void) { return fatal_message; }

void liplua_glpk_set_line_callback(liplua_glpk_line_fn fn, void *context) {
    line_fn = fn; line_ctx = context;
}

void liplua_glpk_set_deadline(double seconds) {
    deadline = seconds > 0 ? now_seconds() + seconds : 0;
    deadline_hit = 0;
}

int liplua_glpk_deadline_hit(void) { return deadline_hit; }

unsigned long liplua_glpk_generation(void) { return generation; }

void liplua_glpk_request_abort(void) { abort_requested = 1; }

void liplua_glpk_set_interruptible(int on) { interruptible = on; }

int liplua_glpk_guarded(liplua_glpk_body body, void *context) {
    jmp_buf env;
    jmp_buf *saved = active_guard;
    glp_term_hook(term_hook, NULL);
    int jumped = setjmp(env);
    if (jumped) {
        active_guard = saved;
        glp_error_hook(NULL, NULL);
        glp_free_env();          /* the only way back to a usable state after glp_error */
        generation++;
        glp_term_hook(term_hook, NULL);
        return jumped == 4 ? LIPLUA_GLPK_INTERRUPTED : jumped == 3 ? LIPLUA_GLPK_ABORTED
             : jumped == 2 ? LIPLUA_GLPK_DEADLINE : LIPLUA_GLPK_FATAL;
    }
    active_guard = &env;
    glp_error_hook(error_hook, NULL);
    /* glp_error prints its message (through term_hook, into `recent`) before the hook runs. */
    fatal_message[0] = 0;
    recent[0] = 0;
    abort_requested = 0;
    int r = body(context);
    glp_error_hook(NULL, NULL);
    active_guard = saved;
    return r;
}
