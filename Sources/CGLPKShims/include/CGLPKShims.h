#ifndef LIPLUA_CGLPKSHIMS_H
#define LIPLUA_CGLPKSHIMS_H
/* A guard around GLPK's fatal errors. glp_error() prints, calls the error hook, then aborts;
   the hook installed here longjmps back into liplua_glpk_guarded() instead, whose caller gets
   LIPLUA_GLPK_FATAL and the captured message. GLPK's environment is freed after a fatal error,
   which invalidates every glp_prob of the thread: callers must not touch them afterwards.
   Swift cannot setjmp, so this lives in C. Checked inputs make it a last resort. */
#define LIPLUA_GLPK_FATAL (-999)

typedef int (*liplua_glpk_body)(void *context);

/* Runs body(context) with the guard installed; returns body's result, or LIPLUA_GLPK_FATAL. */
int liplua_glpk_guarded(liplua_glpk_body body, void *context);

/* The message GLPK printed before its last fatal error (empty if none). */
const char *liplua_glpk_last_fatal(void);

/* Terminal output captured while capture is on (GLPK writes through glp_term_hook).
   mode 0: discard, 1: pass through to stdout, 2: capture into a buffer read by liplua_glpk_captured. */
void liplua_glpk_set_output(int mode);
const char *liplua_glpk_captured(void);
void liplua_glpk_clear_captured(void);
#endif
