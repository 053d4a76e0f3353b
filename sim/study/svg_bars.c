/* A grouped bar chart as a standalone SVG file (compare --svg): one group per system, one bar per
 * series (time-to-train, cost, ...). Each series has its own unit, so each is scaled to its own
 * maximum and every bar carries its value as a label; a legend names the series. Projected
 * systems are drawn dashed. Text is XML-escaped, so the file parses as XML; it is written whole or
 * not at all (ts_afile). */
#include <math.h>
#include <stdio.h>

#include "hw/base/ts_io.h"
#include "sim/study/compare.h"

enum { BAR_W = 28, GAP_W = 24, PLOT_H = 300, TOP = 60, LEFT = 40, BOTTOM = 90 };
static const char *const COLORS[SVG_BARS_MAX_SERIES] = {"#4e79a7", "#f28e2b", "#59a14f",
                                                        "#e15759"};

static void put_escaped(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    default:
      if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
    }
  }
}

static double series_max(const svg_bars *c, int s) {
  double m = 0;
  for (int g = 0; g < c->n_groups; g++)
    if (isfinite(c->value[s][g]) && c->value[s][g] > m) m = c->value[s][g];
  return m;
}

static void put_bar(FILE *f, const svg_bars *c, int s, int g, double x) {
  double v = c->value[s][g], m = series_max(c, s);
  double h = (isfinite(v) && m > 0 && v > 0) ? v / m * PLOT_H : 0;
  double y = TOP + PLOT_H - h;
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"%s/>\n", x, y,
          BAR_W, h, COLORS[s],
          c->dashed[g] ? " fill-opacity=\"0.5\" stroke=\"#333\" stroke-dasharray=\"4 3\"" : "");
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">",
          x + BAR_W / 2.0, y - 3);
  if (isfinite(v)) fprintf(f, "%.3g</text>\n", v);
  else fputs("never</text>\n", f);
}

static void put_group(FILE *f, const svg_bars *c, int g) {
  double group_w = c->n_series * BAR_W + GAP_W;
  double x0 = LEFT + g * group_w + GAP_W / 2.0;
  for (int s = 0; s < c->n_series; s++) put_bar(f, c, s, g, x0 + s * BAR_W);
  double cx = x0 + c->n_series * BAR_W / 2.0;
  fprintf(f,
          "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" "
          "transform=\"rotate(-35 %.1f %d)\">",
          cx, TOP + PLOT_H + 16, cx, TOP + PLOT_H + 16);
  put_escaped(f, c->group[g]);
  fputs("</text>\n", f);
}

static void put_chart(FILE *f, const svg_bars *c) {
  double group_w = c->n_series * BAR_W + GAP_W;
  int width = (int)(LEFT * 2 + c->n_groups * group_w) + 160;
  int height = TOP + PLOT_H + BOTTOM;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
          "<text x=\"%d\" y=\"24\" font-size=\"15\">",
          width, height, width, height, LEFT);
  put_escaped(f, c->title);
  fputs("</text>\n", f);
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", LEFT,
          TOP + PLOT_H, LEFT + c->n_groups * group_w, TOP + PLOT_H);
  for (int g = 0; g < c->n_groups; g++) put_group(f, c, g);
  double lx = LEFT + c->n_groups * group_w + 20;
  for (int s = 0; s < c->n_series; s++) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx,
            TOP + s * 20, COLORS[s]);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">", lx + 16, TOP + s * 20 + 10);
    put_escaped(f, c->series[s]);
    fputs("</text>\n", f);
  }
  fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">each series scaled to its maximum"
             "</text>\n</svg>\n",
          lx, TOP + c->n_series * 20 + 10);
}

ts_status svg_bars_write(const svg_bars *c, const char *path, ts_err *err) {
  if (c->n_groups < 1 || c->n_groups > SVG_BARS_MAX_GROUPS || c->n_series < 1 ||
      c->n_series > SVG_BARS_MAX_SERIES)
    return ts_fail(err, TS_EUSAGE, "svg: %d groups of %d series: expected 1..%d and 1..%d",
                   c->n_groups, c->n_series, SVG_BARS_MAX_GROUPS, SVG_BARS_MAX_SERIES);
  ts_afile af;
  ts_status st = ts_afile_open(&af, path, err);
  if (st) return st;
  put_chart(af.fp, c);
  return ts_afile_commit(&af, err);
}
