"""Packaging beyond pyproject.toml: templates/ and static/ stay at the project's top level (where
the front-end work happens) and are installed inside the package as ``app/templates`` and
``app/static``, so ``pip install .`` (not only an editable install) serves every page and asset.
app.config finds them with importlib.resources, falling back to the source tree.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*"]), "app.templates", "app.static"],
    package_dir={"app.templates": "templates", "app.static": "static"},
)
