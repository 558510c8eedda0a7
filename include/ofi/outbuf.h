/* outbuf.h - a growable byte buffer with the CSV formatting rules of SPEC section 4.
 *
 * Numbers are formatted by hand: %.6f through exact integer arithmetic (identical to
 * glibc's printf, which rounds the exact binary value half-to-even), money from integer
 * cents, dates as YYYY-MM-DD. Text is quoted only where needed.
 *
 * Out of memory is sticky: after a failed growth every append is a no-op and
 * ofi_outbuf_failed() is true; callers check once at the end.
 * Ownership: ofi_outbuf_free releases the bytes (accepts a zeroed buffer).
 */
#ifndef OFI_OUTBUF_H
#define OFI_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ofi_outbuf {
    char *p;
    size_t len, cap;
    int failed;
} ofi_outbuf;

void ofi_outbuf_free(ofi_outbuf *b);

/* Ensure room for n more bytes. @return 0 when out of memory. */
int ofi_outbuf_room(ofi_outbuf *b, size_t n);

static inline int ofi_outbuf_failed(const ofi_outbuf *b)
{
    return b->failed;
}

void ofi_put(ofi_outbuf *b, const char *s, size_t n);
void ofi_puts(ofi_outbuf *b, const char *s);
void ofi_putc(ofi_outbuf *b, char c);
/* Text as a CSV field, quoted when it holds ',', '"', CR or LF. */
void ofi_put_text(ofi_outbuf *b, const char *s, size_t n);
void ofi_put_i64(ofi_outbuf *b, int64_t v);
void ofi_put_u64(ofi_outbuf *b, uint64_t v);
/* A double as printf("%.6f"), except that -0.0 prints as 0.000000. */
void ofi_put_f6(ofi_outbuf *b, double v);
/* Integer cents as euros with 2 decimals. */
void ofi_put_money(ofi_outbuf *b, int64_t cents);
void ofi_put_date(ofi_outbuf *b, int32_t days);
void ofi_put_month(ofi_outbuf *b, int32_t month_key);

/* Format v as %.6f into out (at least 32 bytes; up to 330 for huge values).
 * @return the length. */
int ofi_format_f6(double v, char *out);

/* Raw writers for hot loops: write at p, return the end. The caller reserved room
 * (ofi_outbuf_room) for the whole row first. */
char *ofi_raw_u64(char *p, uint64_t v);
char *ofi_raw_i64(char *p, int64_t v);
char *ofi_raw_money(char *p, int64_t cents);
char *ofi_raw_text(char *p, const char *s, size_t n); /* quoted where needed: <= 2n+2 */

#endif
