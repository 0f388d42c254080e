"""Routes for parameters."""

from fastapi import APIRouter

router = APIRouter(tags=["parameters"])
