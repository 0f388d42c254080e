"""Routes for mnist."""

from fastapi import APIRouter

router = APIRouter(tags=["mnist"])
