"""Routes for receptive-field."""

from fastapi import APIRouter

router = APIRouter(tags=["receptive-field"])
