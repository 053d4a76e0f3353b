/* Bounded reads and atomic writes: see ts_io.h. */
#include "hw/base/ts_io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ts_status ts_read_file(const char *path, size_t max_bytes, char **data, size_t *len, ts_err *err) {
  *data = NULL;
  *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) return ts_fail(err, TS_EINPUT, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = max_bytes < 4096 ? max_bytes : 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(fp);
    return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
  }
  for (;;) {
    if (n == cap) {
      if (cap >= max_bytes) {
        if (fgetc(fp) == EOF && !ferror(fp)) break; /* exactly at the limit */
        free(buf);
        fclose(fp);
        return ts_fail(err, TS_EINPUT, "%s: larger than the limit of %zu bytes", path, max_bytes);
      }
      size_t ncap = cap * 2 > max_bytes ? max_bytes : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        free(buf);
        fclose(fp);
        return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  int read_error = ferror(fp);
  fclose(fp);
  if (read_error) {
    free(buf);
    return ts_fail(err, TS_EIO, "%s: read error", path);
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return TS_OK;
}

ts_status ts_afile_open(ts_afile *af, const char *path, ts_err *err) {
  memset(af, 0, sizeof *af);
  if (strlen(path) + 16 >= sizeof af->tmp_path)
    return ts_fail(err, TS_EUSAGE, "%s: path too long", path);
  snprintf(af->path, sizeof af->path, "%s", path);
  snprintf(af->tmp_path, sizeof af->tmp_path, "%s.tmpXXXXXX", path);
  int fd = mkstemp(af->tmp_path);
  if (fd < 0) return ts_fail(err, TS_EIO, "%s: cannot create temporary file: %s", path, strerror(errno));
  /* mkstemp makes the file 0600; give it the permissions a plain fopen would (0666 & ~umask). */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  af->fp = fdopen(fd, "wb");
  if (!af->fp) {
    close(fd);
    unlink(af->tmp_path);
    return ts_fail(err, TS_EIO, "%s: cannot open temporary file: %s", path, strerror(errno));
  }
  return TS_OK;
}

ts_status ts_afile_commit(ts_afile *af, ts_err *err) {
  if (!af->fp) return ts_fail(err, TS_EIO, "%s: file not open", af->path);
  int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
  int saved = errno;
  if (fclose(af->fp) != 0 && !bad) {
    bad = 1;
    saved = errno;
  }
  af->fp = NULL;
  if (!bad && rename(af->tmp_path, af->path) != 0) {
    bad = 1;
    saved = errno;
  }
  if (bad) {
    unlink(af->tmp_path);
    return ts_fail(err, TS_EIO, "%s: write failed: %s (old file left untouched)", af->path,
                   saved ? strerror(saved) : "stream error");
  }
  return TS_OK;
}

void ts_afile_abort(ts_afile *af) {
  if (af->fp) {
    fclose(af->fp);
    af->fp = NULL;
    unlink(af->tmp_path);
  }
}

ts_status ts_write_file_atomic(const char *path, const void *data, size_t len, ts_err *err) {
  ts_afile af;
  ts_status st = ts_afile_open(&af, path, err);
  if (st) return st;
  if (len && fwrite(data, 1, len, af.fp) != len) {
    int saved = errno;
    ts_afile_abort(&af);
    return ts_fail(err, TS_EIO, "%s: write failed: %s (old file left untouched)", path,
                   strerror(saved));
  }
  return ts_afile_commit(&af, err);
}

int ts_parse_double(const char *text, double *out) {
  if (!text || !*text) return 0;
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

int ts_parse_int64(const char *text, long long *out) {
  if (!text || !*text) return 0;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE) {
    /* Accept integral floating forms such as 1e9 or 2048.0 when exact. */
    double d;
    if (!ts_parse_double(text, &d) || fabs(d) > 9.0e18 || d != (double)(long long)d) return 0;
    v = (long long)d;
  }
  *out = v;
  return 1;
}
