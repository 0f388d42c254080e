"""The FastAPI application: lifespan, middleware, static files, routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import torch
from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__, memory
from app.api.docs import document_error_responses
from app.api.docs import router as docs_router
from app.api.errors import install_error_handlers
from app.api.main import api_router
from app.api.pages import router as pages_router
from app.config import Settings, get_settings
from app.experiments.manager import ExperimentManager
from app.middleware import install_middleware
from app.mnist.inference import load_models
from app.sessions.events import EventHub
from app.sessions.service import SessionStore


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the MNIST models load once, in the lifespan, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        memory.limit_arenas()  # before the worker threads exist (app/memory.py)
        torch.set_num_threads(settings.torch_threads)
        to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_size
        app.state.models = load_models(settings.weights_dir)
        app.state.experiments = ExperimentManager.from_settings(settings)
        app.state.experiments.start()  # its free slots take any worker's queued runs
        app.state.sessions = SessionStore.open(settings)  # runs the database migrations
        app.state.session_events = EventHub(app.state.sessions)
        app.state.session_events.start()
        # everything loaded so far lives as long as the worker: move it out of the garbage
        # collector's sight, so a request that builds 300,000 lists (a 1 MB JSON body) pays
        # for its own objects, not for full collections over torch and the models (4× faster)
        gc.collect()
        gc.freeze()
        yield
        await app.state.session_events.stop()
        app.state.sessions.dispose()
        app.state.experiments.close()

    app = FastAPI(
        title="ConvLab",
        version=__version__,
        summary="Convolution, pooling, receptive fields and an MNIST CNN as a JSON API.",
        lifespan=lifespan,
        docs_url=None,  # /docs is app.api.docs: Swagger UI from static/, no CDN, no inline JS
        redoc_url=None,  # ReDoc would load from a CDN too
        openapi_url=None,  # /openapi.json is app.api.docs: built in a worker thread, not the loop
    )
    app.state.settings = settings
    install_middleware(app, settings)
    install_error_handlers(app)
    app.state.templates = Jinja2Templates(directory=settings.templates_dir)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    app.include_router(api_router)
    app.include_router(docs_router)
    app.include_router(pages_router)
    document_error_responses(app)
    return app


app = create_app()
