"""Market demo data. (stub)"""


def load():
    return []
