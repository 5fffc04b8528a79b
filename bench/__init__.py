"""Benchmarks at scale (issue 7). Never collected by the test suite (pytest testpaths = tests/)."""
