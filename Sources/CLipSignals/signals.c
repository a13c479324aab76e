#include <signal.h>
#include "CLipSignals.h"

static volatile sig_atomic_t pending = 0;
static volatile sig_atomic_t count = 0;

int liplua_interrupt_pending(void) { return pending != 0; }
void liplua_interrupt_set(void) { pending = 1; count = count + 1; }
void liplua_interrupt_clear(void) { pending = 0; }
unsigned long liplua_interrupt_count(void) { return (unsigned long)count; }
