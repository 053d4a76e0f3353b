/* bench_gen: how fast the workload generator and the trace reader are on the reference
 * case — Llama-3-405B on 16,384 dgx-h100 chips, tp=8 pp=16 dp=128, gbs 2048, seq 8192 — printing
 * generation time, file size, and read-back speed in MB/s of uncompressed op data (ops as
 * sizeof(trace_op) bytes plus 4 bytes per dependency). Prints figures; asserts nothing.
 * Usage: bench_gen [OUT.tst] (default: a file in the current directory, removed afterwards). */
#include <stdio.h>
#include <time.h>

#include "models/gen.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const ts_err *err) {
  fprintf(stderr, "bench_gen: %s: %s\n", what, err->msg);
  return 1;
}

static double op_data_bytes(const trace *t, uint64_t *ops) {
  double bytes = 0;
  *ops = 0;
  for (uint32_t c = 0; c < t->n_classes; c++) {
    *ops += t->classes[c].n_ops;
    bytes += (double)t->classes[c].n_ops * sizeof(trace_op) + 4.0 * t->classes[c].n_deps;
  }
  return bytes;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "bench_gen.tst";
  ts_err err = {0};
  model m;
  plan p;
  hw_system sys;
  if (model_load("llama3-405b", &m, &err)) return fail("model", &err);
  m.seq = 8192;
  if (hw_system_load("dgx-h100", &sys, &err)) return fail("system", &err);
  if (plan_parse("tp=8,pp=16,dp=128,gbs=2048,mbs=1", &p, &err)) return fail("plan", &err);
  gen_options opt = {.allow_oom = true};
  trace *t = NULL;
  double t0 = now_s();
  if (gen_step(&m, &p, &sys, 16384, &opt, &t, &err)) return fail("gen_step", &err);
  double gen_s = now_s() - t0;
  t0 = now_s();
  if (trace_write_file(t, path, &err)) return fail("write", &err);
  double write_s = now_s() - t0;
  uint64_t ops = 0;
  double data = op_data_bytes(t, &ops);
  trace_free(t);
  FILE *fp = fopen(path, "rb");
  long size = -1;
  if (fp && fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
  if (fp) fclose(fp);
  t0 = now_s();
  if (trace_read_file(path, &t, &err)) return fail("read", &err);
  double read_s = now_s() - t0;
  trace_free(t);
  if (argc <= 1) remove(path);
  printf("case          llama3-405b, dgx-h100 x 16384, tp=8 pp=16 dp=128, gbs 2048, seq 8192\n");
  printf("ops           %llu in 16 classes, %.1f MB uncompressed op data\n",
         (unsigned long long)ops, data / 1e6);
  printf("generate      %.3f s\n", gen_s);
  printf("write         %.3f s\n", write_s);
  printf("file size     %.2f MB\n", (double)size / 1e6);
  printf("read back     %.3f s, %.0f MB/s of op data\n", read_s, data / 1e6 / read_s);
  return 0;
}
