"""Credit demo data: the joint reward and punishment measures list (联合奖惩措施清单) the
platform starts with. Runs after core/demo.py and before market/demo.py, whose agencies get
their credit records. Idempotent (measures already in the catalogue are left alone); never
commits: the `seed-demo` command does.
"""

from credit.data_measures import load_measures


def load() -> list:
    load_measures()
    return []  # no logins of its own
