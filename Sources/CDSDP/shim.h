/* DSDP 5.8 from Debian (libdsdp-dev): header in /usr/include/dsdp, library /usr/lib/libdsdp.so.
   No pkg-config file; the module map links dsdp, lapack and blas. */
#include <dsdp/dsdp5.h>
