"""Layer 0, the contracts: every table's columns and dtypes (schema), the taxonomy and
sources files parsed into typed objects with errors naming file and line, and the run
summary. Imports nothing else of ours.
"""
