"""Stage 5, trends: topic counts and shares per day, week and month, emerging topics,
co-occurrence and per-source shares. Pure.
"""
