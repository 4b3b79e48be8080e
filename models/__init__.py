"""The bundled pose models, shipped inside the package as ``coach.models`` (see README.md here).

Found at run time through ``importlib.resources`` (coach/pose/models.py), so an installed
wheel finds them as a source checkout does.
"""
