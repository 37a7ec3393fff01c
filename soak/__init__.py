"""Long scenarios against the production system (`make soak`): kills, load, scale-out.

Each module runs with `python -m soak.<name>`, prints its figures and exits non-zero when a
check fails. None of it is collected by pytest: a run takes minutes and loads every core.
"""
