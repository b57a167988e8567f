"""Core demo data: platform admin, departments and their users. (stub)"""


def load():
    return []
