"""Market sweepers. (stub)"""
