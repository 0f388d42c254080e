"""Routes for shift."""

from fastapi import APIRouter

router = APIRouter(tags=["shift"])
