"""The sections of docs/benchmarks.md: one module per benchmark, and the
document's own parts (header, targets, method)."""
