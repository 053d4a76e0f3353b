# trainsim validate: every CSV error names file:line, the column and the reason (exit 2), and the
# usage errors. Predictions themselves change with calibration; tests/test_validate.c checks them.
$ trainsim validate data/validate/bad_chips.csv
> trainsim: data/validate/bad_chips.csv:3: column 'chips': 'abc' is not an integer in 1..1099511627776
? 2
$ trainsim validate data/validate/bad_metric.csv
> trainsim: data/validate/bad_metric.csv:2: column 'metric': 'tflops' is not hw_tflops_per_chip, model_tflops_per_chip, mfu, step_s, seqs_per_s, tokens_per_s_per_chip or chip_hours
? 2
$ trainsim validate data/validate/bad_mlp.csv
> trainsim: data/validate/bad_mlp.csv:2: column 'mlp': 'silu' is not gelu, swiglu or relu2
? 2
$ trainsim validate data/validate/bad_recompute.csv
> trainsim: data/validate/bad_recompute.csv:2: column 'recompute': 'fast' is not none, selective or full
? 2
$ trainsim validate data/validate/bad_zero.csv
> trainsim: data/validate/bad_zero.csv:2: column 'zero': '5' is not an integer in 0..3
? 2
$ trainsim validate data/validate/bad_value.csv
> trainsim: data/validate/bad_value.csv:2: column 'value': '-3' is not a positive number
? 2
$ trainsim validate data/validate/bad_empty_id.csv
> trainsim: data/validate/bad_empty_id.csv:2: column 'id': empty, a value is required
? 2
$ trainsim validate data/validate/bad_chip_hours.csv
> trainsim: data/validate/bad_chip_hours.csv:2: column 'tokens': empty, chip_hours needs the tokens
? 2
$ trainsim validate data/validate/bad_missing_column.csv
> trainsim: data/validate/bad_missing_column.csv:1: the header has no column 'notes'
? 2
$ trainsim validate data/validate/bad_unknown_column.csv
> trainsim: data/validate/bad_unknown_column.csv:1: unknown column 'extra' in the header
? 2
$ trainsim validate data/validate/bad_duplicate_column.csv
> trainsim: data/validate/bad_duplicate_column.csv:1: column 'chips' appears twice in the header
? 2
$ trainsim validate data/validate/bad_field_count.csv
> trainsim: data/validate/bad_field_count.csv:2: 4 fields, the header has 34
? 2
$ trainsim validate data/validate/bad_quote.csv
> trainsim: data/validate/bad_quote.csv:2: quoted field never closed
? 2
$ trainsim validate data/validate/bad_no_rows.csv
> trainsim: data/validate/bad_no_rows.csv: no rows after the header
? 2
$ trainsim validate data/validate/bad_empty.csv
> trainsim: data/validate/bad_empty.csv: empty file, expected a header
? 2
$ trainsim validate
> trainsim validate: missing FILE.csv (see 'trainsim help validate')
? 2
$ trainsim validate a.csv b.csv
> trainsim validate: more than one file: 'b.csv' (see 'trainsim help validate')
? 2
$ trainsim validate data/validate/good_small.csv --bogus
> trainsim validate: unknown argument '--bogus' (see 'trainsim help validate')
? 2
$ trainsim validate data/validate/good_small.csv --threads 0
> trainsim validate: --threads: '0' is not an integer in 1..256 (see 'trainsim help validate')
? 2
