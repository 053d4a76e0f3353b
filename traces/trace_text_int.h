/* Internals of the text form shared by its writer (trace_text.c) and reader (trace_text_read.c):
 * the tables of header fields, so both sides list the same keys in the same order. */
#ifndef TRACES_TRACE_TEXT_INT_H
#define TRACES_TRACE_TEXT_INT_H

#include <stddef.h>

#include "traces/trace.h"

typedef enum { TF_BOOL, TF_I32, TF_I64, TF_HEX32, TF_STR, TF_ENUM, TF_STAGES } trace_text_type;

/* One key=value field of a header line, located by its offset inside struct trace. */
typedef struct trace_text_field {
  const char *key;
  trace_text_type type;
  size_t offset;
  size_t cap;                            /* TF_STR: size of the char array */
  const char *(*enum_name)(unsigned v);  /* TF_ENUM: value → name ("?" when out of range) */
  unsigned enum_count;
} trace_text_field;

/* NULL-key terminated. */
extern const trace_text_field TRACE_TEXT_MODEL[];
extern const trace_text_field TRACE_TEXT_PLAN[];
extern const trace_text_field TRACE_TEXT_SYSTEM[];

#endif
