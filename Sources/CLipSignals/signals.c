#include <signal.h>
#include "CLipSignals.h"

static volatile sig_atomic_t pending = 0;
static volatile sig_atomic_t count = 0;

int liplua_interrupt_pending(void) { return pending != 0; }
static void (*volatile notify)(void) = 0;
void liplua_interrupt_set_notify(void (*f)(void)) { notify = f; }
void liplua_interrupt_set(void) {
    pending = 1; count = count + 1;
    void (*f)(void) = notify;
    if (f) f();   /* arms the stop hook of the Lua states running now (CLuaShims) */
}
void liplua_interrupt_clear(void) { pending = 0; }
unsigned long liplua_interrupt_count(void) { return (unsigned long)count; }
