#ifndef LIPLUA_CGLPKSHIMS_H
#define LIPLUA_CGLPKSHIMS_H
/* A guard around GLPK's fatal errors. glp_error() prints, calls the error hook, then aborts;
   the hook installed here longjmps back into liplua_glpk_guarded() instead, whose caller gets
   LIPLUA_GLPK_FATAL and the captured message. GLPK's environment is freed after a fatal error,
   which invalidates every glp_prob of the thread: callers must not touch them afterwards.
   Swift cannot setjmp, so this lives in C. Checked inputs make it a last resort. */
#define LIPLUA_GLPK_FATAL (-999)
/* Returned by the guard when the deadline (liplua_glpk_set_deadline) passed while GLPK printed
   output; the environment is freed exactly as after a fatal error. */
#define LIPLUA_GLPK_DEADLINE (-998)
/* Returned when the line callback called liplua_glpk_request_abort() (same clean-up). */
#define LIPLUA_GLPK_ABORTED (-997)
/* Returned when the process-wide interrupt flag (CLipSignals, set by Ctrl-C) was found set
   while GLPK printed output, with liplua_glpk_set_interruptible(1) (same clean-up). */
#define LIPLUA_GLPK_INTERRUPTED (-996)

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

/* Every piece of text GLPK prints (one glp_printf call, not necessarily a whole line) is passed
   to fn(context, text) first. fn returns 1 to suppress it, 0 to let it through to stdout, or -1
   to leave the decision to the output mode. NULL removes the callback. Thread-local. */
typedef int (*liplua_glpk_line_fn)(void *context, const char *text);
void liplua_glpk_set_line_callback(liplua_glpk_line_fn fn, void *context);

/* A wall-clock deadline `seconds` from now (<= 0 clears it). When GLPK prints output inside
   liplua_glpk_guarded after the deadline, the guard abandons the call and returns
   LIPLUA_GLPK_DEADLINE. Thread-local. */
void liplua_glpk_set_deadline(double seconds);
int liplua_glpk_deadline_hit(void);

/* Incremented every time the guard frees the thread's GLPK environment: a glp_prob created
   under an older generation is gone and must not be touched (not even deleted). */
unsigned long liplua_glpk_generation(void);

/* Called from the line callback: abandon the guarded GLPK call right after this line. */
void liplua_glpk_request_abort(void);

/* 1: guarded calls on this thread stop (LIPLUA_GLPK_INTERRUPTED) when the interrupt flag is
   set at a line GLPK prints; 0 (default): the flag is ignored. Thread-local. */
void liplua_glpk_set_interruptible(int on);

#include "CGLPKInterior.h"
#endif
