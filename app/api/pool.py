"""Routes for pool."""

from fastapi import APIRouter

router = APIRouter(tags=["pool"])
