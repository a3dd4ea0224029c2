"""sources.parse"""
