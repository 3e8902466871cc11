"""Fakes of outside services, built from their documented shapes, for tests and benchmarks."""
