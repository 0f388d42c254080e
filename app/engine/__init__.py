"""The engine: pure NumPy (float64) functions for the operations of tutorial 3A.

No FastAPI, no pydantic, and no torch (except ``effective_rf``, which needs autograd).
"""
