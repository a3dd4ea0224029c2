"""Pure parsers: bytes or text of one document in, PARSED rows out; no IO.
"""
