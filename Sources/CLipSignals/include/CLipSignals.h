#ifndef LIPLUA_CLIPSIGNALS_H
#define LIPLUA_CLIPSIGNALS_H
/* The process-wide interrupt flag (Ctrl-C). A signal handler may only touch a
   volatile sig_atomic_t, so the flag lives in C; Swift reads it through LipControl.Interrupt.
   Solvers, long loops and Lua hooks poll it; nothing here longjmps. */

/* Nonzero once an interrupt was requested and not yet cleared. Async-signal-safe. */
int liplua_interrupt_pending(void);
/* Sets the flag (called from the SIGINT handler, or by tests). Async-signal-safe. */
void liplua_interrupt_set(void);
/* f is called (async-signal-safely) by every liplua_interrupt_set; NULL for none. */
void liplua_interrupt_set_notify(void (*f)(void));
/* Clears the flag (the REPL does this before each command). */
void liplua_interrupt_clear(void);
/* How many interrupts were requested since start-up (a second Ctrl-C can be told apart). */
unsigned long liplua_interrupt_count(void);
#endif
