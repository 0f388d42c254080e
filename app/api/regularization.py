"""Routes for regularization."""

from fastapi import APIRouter

router = APIRouter(tags=["regularization"])
