/* The roadmap SVG chart (sim/study/svg.c): the output is well-formed XML (checked by a small
 * tag-balancing parser written here: every element closed in order, attributes quoted, entities
 * known), has exactly one <path> per track, draws projected years as dashed polylines, escapes
 * text, breaks a line at a row without result, writes the file whole, and refuses a study that does
 * not match the roadmap. The study is built by hand: no search runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/study/studies.h"

/* ---- a minimal XML well-formedness check ----------------------------------------------------- */
typedef struct xml_stats {
  int elements;
  int paths, polylines, dashed_polylines;
} xml_stats;

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == ':' || c == '.';
}

/* Text and attribute values: '<' never appears raw, '&' only as a known entity. */
static bool text_ok(const char *s, const char *end) {
  static const char *const ENT[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
  for (; s < end; s++) {
    if (*s == '<') return false;
    if (*s != '&') continue;
    bool known = false;
    for (size_t i = 0; i < 5; i++) known |= strncmp(s, ENT[i], strlen(ENT[i])) == 0;
    if (!known) return false;
  }
  return true;
}

/* Parses one start tag at p (after '<'); returns the end ('>') or NULL. */
static const char *start_tag(const char *p, char *name, size_t cap, bool *empty, bool *dashed) {
  size_t n = 0;
  while (name_char(*p) && n + 1 < cap) name[n++] = *p++;
  name[n] = 0;
  if (n == 0) return NULL;
  *dashed = false;
  for (;;) {
    while (*p == ' ' || *p == '\n') p++;
    if (*p == '>' || (p[0] == '/' && p[1] == '>')) break;
    const char *attr = p;
    while (name_char(*p)) p++;
    if (p == attr || *p++ != '=' || *p != '"') return NULL;
    const char *v = ++p;
    while (*p && *p != '"') p++;
    if (!*p || !text_ok(v, p)) return NULL;
    if (strncmp(attr, "stroke-dasharray=", 17) == 0) *dashed = true;
    p++;
  }
  *empty = *p == '/';
  return *empty ? p + 1 : p;
}

static bool xml_well_formed(const char *s, xml_stats *st) {
  char stack[64][32];
  int depth = 0;
  memset(st, 0, sizeof *st);
  if (strncmp(s, "<?xml ", 6) == 0) s = strstr(s, "?>") + 2;
  while (*s) {
    const char *lt = strchr(s, '<');
    if (!lt) return depth == 0 && text_ok(s, s + strlen(s));
    if (!text_ok(s, lt)) return false;
    if (lt[1] == '/') {
      const char *gt = strchr(lt, '>');
      if (!gt || depth == 0) return false;
      size_t n = (size_t)(gt - lt - 2);
      if (n != strlen(stack[depth - 1]) || strncmp(lt + 2, stack[depth - 1], n) != 0)
        return false;
      depth--;
      s = gt + 1;
      continue;
    }
    char name[32];
    bool empty = false, dashed = false;
    const char *gt = start_tag(lt + 1, name, sizeof name, &empty, &dashed);
    if (!gt) return false;
    st->elements++;
    st->paths += strcmp(name, "path") == 0;
    st->polylines += strcmp(name, "polyline") == 0;
    st->dashed_polylines += strcmp(name, "polyline") == 0 && dashed;
    if (!empty) {
      if (depth == 64) return false;
      snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    s = gt + 1;
  }
  return depth == 0;
}

static void test_checker_rejects_broken_xml(void **state) {
  (void)state;
  xml_stats st;
  assert_true(xml_well_formed("<a><b x=\"1\"/></a>", &st));
  assert_false(xml_well_formed("<a><b></a></b>", &st));
  assert_false(xml_well_formed("<a x=1></a>", &st));
  assert_false(xml_well_formed("<a>&nbsp;</a>", &st));
  assert_false(xml_well_formed("<a>", &st));
}

/* ---- a hand-made roadmap and study ----------------------------------------------------------- */
/* Two tracks over 4 years: "alpha" listed in years 0-1 and projected in 2-3; "b<&>" listed in 0,
 * no result in 1, listed in 2, projected in 3. */
typedef struct fixture {
  roadmap_row rows[8];
  bool close[4], div[4];
  double spread[4];
} fixture;

static void make(roadmap *rm, roadmap_study *s, fixture *fx) {
  roadmap_row *rows = fx->rows;
  memset(rm, 0, sizeof *rm);
  rm->n_tracks = 2;
  snprintf(rm->tracks[0].name, sizeof rm->tracks[0].name, "alpha");
  snprintf(rm->tracks[1].name, sizeof rm->tracks[1].name, "b<&>");
  memset(fx, 0, sizeof *fx);
  *s = (roadmap_study){.n_years = 4, .n_tracks = 2, .year_from = 2030, .rows = rows,
                       .ttt_close = fx->close, .dollar_diverge = fx->div,
                       .ttt_spread = fx->spread, .dollar_spread = fx->spread};
  for (int y = 0; y < 4; y++)
    for (int t = 0; t < 2; t++) {
      roadmap_row *r = &rows[y * 2 + t];
      r->present = true;
      r->pick.track = t;
      r->pick.gen = y < 2 + t ? y : -1;
      r->pick.projected = r->pick.gen < 0;
      r->run.ok = !(t == 1 && y == 1);
      r->run.ttt.wall_s = 86400.0 * (100 >> y) * (t + 1);
      r->run.ttt.cost_usd = 1e8 / (y + 1);
    }
  rows[2 * 2 + 1].pick.gen = 2; /* b<&> listed in year 2 */
  rows[2 * 2 + 1].pick.projected = false;
}

static void test_svg_is_xml_with_one_path_per_track(void **state) {
  (void)state;
  roadmap *rm = malloc(sizeof *rm);
  assert_non_null(rm);
  roadmap_study s;
  fixture fx;
  make(rm, &s, &fx);
  char *svg = NULL;
  size_t len = 0;
  ts_err err = {0};
  assert_int_equal(roadmap_svg_render(rm, &s, &svg, &len, &err), TS_OK);
  assert_int_equal(strlen(svg), len);
  xml_stats st;
  assert_true(xml_well_formed(svg, &st));
  assert_int_equal(st.paths, 2);
  /* alpha: projected 2032-2033 in two panels; b<&>: 2033 in two panels */
  assert_int_equal(st.polylines, 4);
  assert_int_equal(st.dashed_polylines, 4);
  assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  assert_non_null(strstr(svg, "id=\"track-b&lt;&amp;&gt;\""));
  assert_null(strstr(svg, "b<&>"));
  /* b<&> has no result in 2031: its time-to-train subpath restarts (two moves in that panel) */
  const char *d = strstr(svg, "id=\"track-b&lt;&amp;&gt;\"");
  d = strstr(d, " d=\"");
  const char *end = strchr(d + 4, '"');
  int moves = 0;
  for (const char *p = d + 4; p < end; p++) moves += *p == 'M';
  assert_int_equal(moves, 4);
  free(svg);
  free(rm);
}

static void test_svg_file_written_whole_and_mismatch_refused(void **state) {
  (void)state;
  roadmap *rm = malloc(sizeof *rm);
  assert_non_null(rm);
  roadmap_study s;
  fixture fx;
  make(rm, &s, &fx);
  char path[] = "/tmp/trainsim_test_svg_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  ts_err err = {0};
  assert_int_equal(roadmap_svg_write(rm, &s, path, &err), TS_OK);
  char *svg = NULL;
  size_t len = 0;
  assert_int_equal(roadmap_svg_render(rm, &s, &svg, &len, &err), TS_OK);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *back = malloc(len + 1);
  assert_non_null(back);
  assert_int_equal(fread(back, 1, len + 1, f), len);
  fclose(f);
  assert_memory_equal(back, svg, len);
  unlink(path);
  free(back);
  free(svg);
  s.n_tracks = 1;
  assert_int_equal(roadmap_svg_render(rm, &s, &svg, &len, &err), TS_EINPUT);
  assert_null(svg);
  s.n_tracks = 2;
  assert_int_equal(roadmap_svg_write(rm, &s, "/nonexistent/dir/x.svg", &err), TS_EIO);
  free(rm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checker_rejects_broken_xml),
      cmocka_unit_test(test_svg_is_xml_with_one_path_per_track),
      cmocka_unit_test(test_svg_file_written_whole_and_mismatch_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
