"""Benchmarks (`make bench`): measured, printed and written under bench/results/, never asserted."""
