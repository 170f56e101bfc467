"""Benchmarks: commands that measure tracelead and print figures; never part of the tests."""
