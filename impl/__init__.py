"""Bundled implementations of the sgdcheck contract (spec/contract.md)."""
