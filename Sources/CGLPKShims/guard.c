#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <glpk.h>
#include "CGLPKShims.h"

static _Thread_local jmp_buf *active_guard = NULL;
static _Thread_local char fatal_message[4096];
static _Thread_local int output_mode = 0;
static _Thread_local char *captured = NULL;
static _Thread_local size_t captured_len = 0, captured_cap = 0;
static _Thread_local char recent[2048];   /* the last lines GLPK printed, for fatal errors */

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

int liplua_glpk_guarded(liplua_glpk_body body, void *context) {
    jmp_buf env;
    jmp_buf *saved = active_guard;
    glp_term_hook(term_hook, NULL);
    if (setjmp(env)) {
        active_guard = saved;
        glp_error_hook(NULL, NULL);
        glp_free_env();          /* the only way back to a usable state after glp_error */
        glp_term_hook(term_hook, NULL);
        return LIPLUA_GLPK_FATAL;
    }
    active_guard = &env;
    glp_error_hook(error_hook, NULL);
    /* glp_error prints its message (through term_hook, into `recent`) before the hook runs. */
    fatal_message[0] = 0;
    recent[0] = 0;
    int r = body(context);
    glp_error_hook(NULL, NULL);
    active_guard = saved;
    return r;
}
