"""Routes for conv2d."""

from fastapi import APIRouter

router = APIRouter(tags=["conv2d"])
