"""Prescreen's pure core: text, links, languages and answers, with no I/O."""
