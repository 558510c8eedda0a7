/* ctx.c - the run context: error slot, log callback and the monotonic clock.
 *
 * The context owns no heap memory; it is a plain struct the caller initialises.
 */
#include "ofi/ofi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void ofi_ctx_init(ofi_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->n_threads = 1;
    ctx->chunk_bytes = (size_t)16 << 20;
}

ofi_status ofi_fail(ofi_ctx *ctx, ofi_status st, const char *fmt, ...)
{
    if (ctx->err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
        va_end(ap);
        ctx->status = st;
    }
    return st;
}

int ofi_stopped(ofi_ctx *ctx)
{
    if (ctx->stop == NULL || ctx->stop->requested == 0)
        return 0;
    ofi_fail(ctx, OFI_E_SOURCE, OFI_STOP_MESSAGE " %d", (int)ctx->stop->requested);
    return 1;
}

void ofi_log(const ofi_ctx *ctx, int level, const char *fmt, ...)
{
    if (ctx->log == NULL)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_user, level, buf);
}

double ofi_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
