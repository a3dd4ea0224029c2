"""Stage 4, topics: taxonomy topics and their evidence per article, spending claims, the
taxonomy lint and the literal prefilter. Pure.
"""
