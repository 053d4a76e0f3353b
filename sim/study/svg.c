/* The roadmap chart as a standalone SVG 1.1 file that a browser opens: two panels against the
 * year, time-to-train (days) above and cost (USD) below, both on log scales with decade grid
 * lines. Each track is exactly one <path> (class "track", id "track-NAME"): its listed
 * generations in both panels as subpaths. The years a track reaches only by projection are drawn
 * as dashed <polyline>s (class "projected", stroke-dasharray) continuing that track's line, so a
 * projection never looks like a shipped figure. Rows without a result (no plan fits) break the
 * line. Text is XML-escaped; the file is written whole or not at all (ts_write_file_atomic). */
#include "sim/study/studies.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"

typedef struct buf {
  char *p;
  size_t len, cap;
  bool oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->oom = true;
      return;
    }
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)n;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
}

/* Text with &, <, >, " and ' escaped. */
static void put_text(buf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': put(b, "&amp;"); break;
    case '<': put(b, "&lt;"); break;
    case '>': put(b, "&gt;"); break;
    case '"': put(b, "&quot;"); break;
    case '\'': put(b, "&apos;"); break;
    default: put(b, "%c", *s);
    }
  }
}

enum { W = 960, PANEL_H = 250, LEFT = 90, RIGHT = 200, TOP = 50, GAP = 70 };
static const char *const COLORS[] = {"#76b900", "#ff9900", "#ed1c24", "#1f77b4",
                                     "#9467bd", "#8c564b", "#17becf", "#7f7f7f"};

typedef struct panel {
  const char *title, *unit;
  double lo, hi; /* decades: log10 of the axis ends */
  int top;
} panel;

static double value(const roadmap_row *r, int p) {
  return p == 0 ? r->run.ttt.wall_s / 86400.0 : r->run.ttt.cost_usd;
}

static bool usable(const roadmap_row *r, int p) {
  return r->present && r->run.ok && value(r, p) > 0;
}

static void axis_range(const roadmap_study *s, int p, panel *pn) {
  double lo = 0, hi = 0;
  bool any = false;
  for (int y = 0; y < s->n_years; y++)
    for (int t = 0; t < s->n_tracks; t++) {
      const roadmap_row *r = roadmap_study_row(s, y, t);
      if (!usable(r, p)) continue;
      double v = log10(value(r, p));
      if (!any || v < lo) lo = v;
      if (!any || v > hi) hi = v;
      any = true;
    }
  pn->lo = any ? floor(lo) : 0;
  pn->hi = any ? ceil(hi) : 1;
  if (pn->hi <= pn->lo) pn->hi = pn->lo + 1;
}

static double xpos(const roadmap_study *s, int y) {
  int span = s->n_years > 1 ? s->n_years - 1 : 1;
  return LEFT + (double)(W - LEFT - RIGHT) * (s->n_years > 1 ? (double)y / span : 0.5);
}

static double ypos(const panel *pn, double v) {
  double f = (log10(v) - pn->lo) / (pn->hi - pn->lo);
  return pn->top + PANEL_H - f * PANEL_H;
}

static void draw_axes(buf *b, const roadmap_study *s, const panel *pn) {
  put(b, "<text x=\"%d\" y=\"%d\" class=\"title\">", LEFT, pn->top - 10);
  put_text(b, pn->title);
  put(b, " (%s, log scale)</text>\n", pn->unit);
  for (int d = (int)pn->lo; d <= (int)pn->hi; d++) {
    double yy = ypos(pn, pow(10, d));
    put(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n", LEFT, yy,
        W - RIGHT, yy);
    put(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", LEFT - 6, yy + 4, d);
  }
  for (int y = 0; y < s->n_years; y++) {
    double xx = xpos(s, y);
    put(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"tick\"/>\n", xx,
        pn->top + PANEL_H, xx, pn->top + PANEL_H + 5);
    put(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", xx,
        pn->top + PANEL_H + 18, s->year_from + y);
  }
}

/* The listed generations of track t in panel p as subpaths of the track's one path. */
static void path_part(buf *b, const roadmap_study *s, const panel *pn, int t, int p) {
  bool pen = false;
  for (int y = 0; y < s->n_years; y++) {
    const roadmap_row *r = roadmap_study_row(s, y, t);
    if (!usable(r, p) || r->pick.gen < 0) {
      pen = false;
      continue;
    }
    put(b, "%s%.1f %.1f ", pen ? "L" : "M", xpos(s, y), ypos(pn, value(r, p)));
    pen = true;
  }
}

/* The projected stretch of track t in panel p: dashed, from the last listed point before it. */
static void projected_part(buf *b, const roadmap_study *s, const panel *pn, int t, int p,
                           const char *color) {
  int y = 0;
  while (y < s->n_years) {
    const roadmap_row *r = roadmap_study_row(s, y, t);
    if (!usable(r, p) || r->pick.gen >= 0) {
      y++;
      continue;
    }
    put(b, "<polyline class=\"projected\" stroke=\"%s\" stroke-dasharray=\"6 4\" points=\"",
        color);
    if (y > 0) {
      const roadmap_row *prev = roadmap_study_row(s, y - 1, t);
      if (usable(prev, p)) put(b, "%.1f,%.1f ", xpos(s, y - 1), ypos(pn, value(prev, p)));
    }
    for (; y < s->n_years; y++) {
      r = roadmap_study_row(s, y, t);
      if (!usable(r, p) || r->pick.gen >= 0) break;
      put(b, "%.1f,%.1f ", xpos(s, y), ypos(pn, value(r, p)));
    }
    put(b, "\"/>\n");
  }
}

static void draw_tracks(buf *b, const roadmap *rm, const roadmap_study *s, const panel pn[2]) {
  for (int t = 0; t < s->n_tracks; t++) {
    const char *color = COLORS[t % (int)(sizeof COLORS / sizeof COLORS[0])];
    put(b, "<path class=\"track\" id=\"track-");
    put_text(b, rm->tracks[t].name);
    put(b, "\" stroke=\"%s\" d=\"", color);
    for (int p = 0; p < 2; p++) path_part(b, s, &pn[p], t, p);
    put(b, "\"/>\n");
    for (int p = 0; p < 2; p++) projected_part(b, s, &pn[p], t, p, color);
    int ly = TOP + 20 * t;
    put(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n",
        W - RIGHT + 20, ly, W - RIGHT + 50, ly, color);
    put(b, "<text x=\"%d\" y=\"%d\">", W - RIGHT + 56, ly + 4);
    put_text(b, rm->tracks[t].name);
    put(b, "</text>\n");
  }
  int ly = TOP + 20 * s->n_tracks + 10;
  put(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" stroke-dasharray=\"6 4\"/>"
         "\n<text x=\"%d\" y=\"%d\">projected</text>\n",
      W - RIGHT + 20, ly, W - RIGHT + 50, ly, W - RIGHT + 56, ly + 4);
}

ts_status roadmap_svg_render(const roadmap *rm, const roadmap_study *s, char **out, size_t *len,
                             ts_err *err) {
  *out = NULL;
  *len = 0;
  if (!rm || !s || s->n_tracks != rm->n_tracks)
    return ts_fail(err, TS_EINPUT, "roadmap svg: the study does not match the roadmap");
  panel pn[2] = {{"Time to train", "days", 0, 1, TOP}, {"Cost", "USD", 0, 1, TOP + PANEL_H + GAP}};
  for (int p = 0; p < 2; p++) axis_range(s, p, &pn[p]);
  int h = TOP + 2 * PANEL_H + GAP + 40;
  buf b = {0};
  put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
      W, h, W, h);
  put(&b, "<style>.grid{stroke:#ddd}.tick{stroke:#888}.title{font-weight:bold;font-size:14px}"
          ".track{fill:none;stroke-width:2}.projected{fill:none;stroke-width:2}</style>\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  put(&b, "<title>trainsim roadmap: time to train and cost per year</title>\n");
  for (int p = 0; p < 2; p++) draw_axes(&b, s, &pn[p]);
  draw_tracks(&b, rm, s, pn);
  put(&b, "</svg>\n");
  if (b.oom) {
    free(b.p);
    return ts_fail(err, TS_ENOMEM, "roadmap svg: out of memory");
  }
  *out = b.p;
  *len = b.len;
  return TS_OK;
}

ts_status roadmap_svg_write(const roadmap *rm, const roadmap_study *s, const char *path,
                            ts_err *err) {
  char *text = NULL;
  size_t len = 0;
  ts_status st = roadmap_svg_render(rm, s, &text, &len, err);
  if (!st) st = ts_write_file_atomic(path, text, len, err);
  free(text);
  return st;
}
