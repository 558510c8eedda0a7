/* dashboard.h - reports/dashboard.html: the Power BI pages as one self-contained HTML file.
 *
 * The page holds inline CSS and inline SVG charts drawn here, and no script, font, image or
 * link to anything outside itself: it opens offline in any browser, reads at 1280 px and
 * prints (one section per page area, never split). Its sections: KPI tiles, weekly and
 * monthly trends, severity x priority heat map, cost drivers by product group, root causes,
 * monthly refunds, top cases, customer tiers and the worst customers, teams, data quality
 * and integrity, and the weights used.
 *
 * Every number shown is the text of a file this run has just written (read back from its
 * temporary name through ofi_outset_tmp: ofi/ views, dq/, fk/ and reports/ofi_summary.csv),
 * or a db counter, a tier threshold or a weight: the page cannot disagree with the CSVs.
 * Only small files are read; ofi_case_scores.csv never, high_friction_customers.csv only
 * up to its first rows. The page holds no time of day and no timing, so its bytes do not
 * depend on the thread count or the chunk size.
 */
#ifndef OFI_DASHBOARD_H
#define OFI_DASHBOARD_H

#include "ofi/ofi.h"
#include "ofi/outbuf.h"
#include "ofi/outset.h"
#include "ofi/report.h"

#include <stddef.h>

/* Write reports/dashboard.html.
 * @pre the ofi/ views, dq/, fk/ files and reports/ofi_summary.csv of this run were written
 * into set and closed (ofi_views_write, ofi_dq_write, ofi_reports_write); a view that is
 * missing or empty shows as "no data" rather than failing. in->started is not used.
 * @return OFI_OK; OFI_E_OUTPUT when a view cannot be read back or the page cannot be
 * written (message names the file); OFI_E_NOMEM. */
ofi_status ofi_dashboard_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in);

/* Append n bytes of text to b escaped for HTML text and attribute values (inside SVG too):
 * & < > " ' and CR become entities (the file holds no CR byte); other C0 control
 * characters than tab and LF become a space (HTML does not allow them). Other bytes,
 * UTF-8 included, are copied. Every text from the data goes through this.
 * Thread safety: pure apart from b. */
void ofi_put_html(ofi_outbuf *b, const char *s, size_t n);

#endif
