"""Legal's pure core: rules, lifecycle, formats and crypto; no I/O, no clock it is not handed."""
