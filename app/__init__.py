"""ConvLab: convolutional networks taught the way tutorial 3A teaches them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("convlab")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
