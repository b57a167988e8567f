"""Working days. (stub)"""
